/**
 * Every error tsad throws on purpose is a `TsadError`. Subclasses name the layer and
 * carry a machine-readable `code`; messages say what is wrong and what to do about it.
 */
export class TsadError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad series input: empty, mismatched lengths, non-finite values, bad timestamps, duplicates. */
export class SeriesError extends TsadError {}

/** A dataset file could not be found, downloaded or verified. */
export class DatasetError extends TsadError {}

/** A configuration object failed validation. */
export class ConfigError extends TsadError {}

/** A detector was used wrongly (e.g. scored before training) or got input it cannot handle. */
export class DetectorError extends TsadError {}

/** A model file failed its schema, names an unknown type, or has inconsistent state. */
export class ModelFormatError extends TsadError {}

/** Bad input to a metric (lengths, unsorted timestamps, labels outside {0,1}). */
export class MetricsError extends TsadError {}

/** A tracking backend rejected an operation or could not be reached. */
export class TrackingError extends TsadError {}

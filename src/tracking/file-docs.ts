/**
 * The documents of the local store (`tsad-store.json`, `experiment.json`, `run.json`,
 * `registry.json`, metric lines), parsed with zod schemas on read: a file that is not JSON, has
 * another shape, or names another format or version is a `TrackingError` (`corrupt_store`,
 * `unsupported_store`) naming the file, never a half-typed object.
 */
import { z } from 'zod';
import { TrackingError } from '../errors.js';
import type { StoredRunInfo } from './core.js';
import type { RegistryState } from './registry-state.js';
import type { DatasetInput, Experiment, MetricPoint } from './tracker.js';

export interface RunDoc extends StoredRunInfo {
  format: 'tsad-run';
  version: 1;
  params: Record<string, string>;
  tags: Record<string, string>;
  inputs: DatasetInput[];
}

const strings = z.record(z.string(), z.string());

const datasetInputSchema = z.looseObject({
  name: z.string(),
  digest: z.string(),
  rows: z.number(),
  startTime: z.number().nullable(),
  endTime: z.number().nullable(),
  context: z.string(),
  source: z.string().optional(),
});

const runDocSchema = z.looseObject({
  format: z.literal('tsad-run'),
  version: z.literal(1),
  runId: z.string(),
  experimentId: z.string(),
  experiment: z.string(),
  runName: z.string(),
  status: z.enum(['RUNNING', 'FINISHED', 'FAILED', 'KILLED']),
  startTime: z.number(),
  endTime: z.number().nullable(),
  params: strings,
  tags: strings,
  inputs: z.array(datasetInputSchema),
});

const experimentSchema = z.looseObject({
  experimentId: z.string(),
  name: z.string(),
  creationTime: z.number(),
});

const registrySchema = z.looseObject({
  format: z.literal('tsad-registry'),
  version: z.literal(1),
  models: z.record(
    z.string(),
    z.looseObject({
      creationTime: z.number(),
      aliases: z.record(z.string(), z.number()),
      versions: z.array(
        z.looseObject({
          version: z.number(),
          runId: z.string(),
          artifactPath: z.string(),
          creationTime: z.number(),
          tags: strings.optional(),
        }),
      ),
    }),
  ),
});

const storeMarkerSchema = z.object({ format: z.literal('tsad-store'), version: z.literal(1) });

/** The marker a store root holds. */
export const STORE_MARKER = { format: 'tsad-store', version: 1 } as const;

function readJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TrackingError('corrupt_store', `${where} is not valid JSON`, { cause: err });
  }
}

/** Whether a document names a format and version other than the expected ones (a newer tsad's file). */
function otherVersion(doc: unknown, format: string, version: number): boolean {
  if (typeof doc !== 'object' || doc === null) return false;
  const d = doc as { format?: unknown; version?: unknown };
  return d.format !== undefined && (d.format !== format || d.version !== version);
}

function parseDoc<T>(schema: z.ZodType<T>, text: string, where: string, format?: [string, number]): T {
  const doc = readJson(text, where);
  if (format && otherVersion(doc, format[0], format[1])) {
    throw new TrackingError(
      'unsupported_store',
      `${where} is not a ${format[0]} document of version ${format[1]} (it says ${JSON.stringify(doc).slice(0, 200)}); open it with the tsad version that wrote it`,
    );
  }
  const r = schema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TrackingError(
      'corrupt_store',
      `${where} does not have the expected shape (${issue.path.join('.') || 'document'}: ${issue.message})`,
    );
  }
  return r.data;
}

export function parseRunDoc(text: string, where: string): RunDoc {
  try {
    return parseDoc(runDocSchema, text, where, ['tsad-run', 1]) as RunDoc;
  } catch (err) {
    if (err instanceof TrackingError && err.code === 'corrupt_store') {
      throw new TrackingError(
        'corrupt_store',
        `${err.message}; this run cannot be read: restore the file from a backup, or move its run directory out of the store to silence this (tsad never rewrites or deletes it)`,
        { cause: err.cause ?? err },
      );
    }
    throw err;
  }
}

export function parseExperimentDoc(text: string, where: string): Experiment {
  const e = parseDoc(experimentSchema, text, where);
  return { experimentId: e.experimentId, name: e.name, creationTime: e.creationTime };
}

export function parseRegistryDoc(text: string, where: string): RegistryState {
  return parseDoc(registrySchema, text, where, ['tsad-registry', 1]) as RegistryState;
}

/** Checks `tsad-store.json` (format and version); `root` names the store in the message. */
export function checkStoreMarker(text: string, root: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = text;
  }
  if (!storeMarkerSchema.safeParse(doc).success) {
    throw new TrackingError(
      'unsupported_store',
      `${root} is not a tsad store of version 1 (tsad-store.json says ${JSON.stringify(doc)})`,
    );
  }
}

export function encodeNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : `"${v}"`;
}

/** One metric line (without the newline). Non-finite values are the strings "NaN", "Infinity", "-Infinity". */
export function encodeMetricLine(m: MetricPoint): string {
  return `{"k":${JSON.stringify(m.key)},"v":${encodeNumber(m.value)},"s":${m.step},"t":${m.timestamp}}`;
}

/**
 * The line that opens a batch of `n` points (more than one): the points follow it, one a line. A
 * reader takes the batch only once all `n` have arrived, so a batch cut short by a crash (a process
 * killed between, or inside, the `write(2)` calls of a large batch) is never read back in part.
 * Builds before batch lines skip it as an unreadable line and read the points.
 */
export function encodeBatchLine(n: number): string {
  return `{"batch":${n}}`;
}

/** The point count of a batch line, or undefined when `line` is not one. */
export function decodeBatchLine(line: string): number | undefined {
  if (!line.startsWith('{"batch":') || !line.endsWith('}')) return undefined;
  const n = Number(line.slice(9, -1));
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Parses one metric line; undefined when it is not a well-formed line (e.g. torn by a crash). */
export function decodeMetricLine(line: string): MetricPoint | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const r = o as { k?: unknown; v?: unknown; s?: unknown; t?: unknown };
  if (typeof r.k !== 'string' || typeof r.s !== 'number' || typeof r.t !== 'number') return undefined;
  const value = typeof r.v === 'number' ? r.v : typeof r.v === 'string' ? Number(r.v) : undefined;
  if (value === undefined || (Number.isNaN(value) && r.v !== 'NaN')) return undefined;
  return { key: r.k, value, step: r.s, timestamp: r.t };
}

/**
 * zod schemas of the MLflow records tsad reads (experiments, runs, metric histories, artifact
 * listings, registered models, model versions, logged models): a response whose record
 * has a field of another type than MLflow's REST API documents is a `TrackingError`
 * `mlflow_bad_response` naming the endpoint and the field, never a half-typed record. Objects are
 * loose (fields tsad does not read pass through) and optional fields may be null or absent, as
 * MLflow's proto-JSON omits empty ones; int64 fields may arrive as numbers or strings.
 */
import { z } from 'zod';
import { TrackingError } from '../errors.js';

const text = z.string().nullish();
const int64 = z.union([z.number(), z.string()]).nullish();
const kv = z.looseObject({ key: z.string(), value: text });

const runInfo = z.looseObject({
  run_id: text,
  run_uuid: text,
  run_name: text,
  experiment_id: text,
  status: z.union([z.string(), z.number()]).nullish(),
  start_time: int64,
  end_time: int64,
  artifact_uri: text,
  lifecycle_stage: text,
});

/** `Run` of MLflow's REST API (runs/get, runs/create, runs/search). */
export const wireRunSchema = z.looseObject({
  info: runInfo.nullish(),
  data: z
    .looseObject({
      metrics: z
        .array(
          z.looseObject({ key: z.string(), value: z.unknown(), timestamp: z.unknown(), step: z.unknown() }),
        )
        .nullish(),
      params: z.array(kv).nullish(),
      tags: z.array(kv).nullish(),
    })
    .nullish(),
  inputs: z
    .looseObject({
      dataset_inputs: z
        .array(
          z.looseObject({
            tags: z.array(kv).nullish(),
            dataset: z
              .looseObject({
                name: text,
                digest: text,
                source_type: text,
                source: text,
                schema: text,
                profile: text,
              })
              .nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});

/** `ModelVersion` of MLflow's REST API. */
export const wireModelVersionSchema = z.looseObject({
  name: text,
  version: int64,
  creation_timestamp: int64,
  source: text,
  run_id: text,
  tags: z.array(kv).nullish(),
  aliases: z.array(z.string()).nullish(),
});

/** `Experiment` of MLflow's REST API (experiments/get-by-name, experiments/get, experiments/search). */
export const wireExperimentSchema = z.looseObject({
  experiment_id: z.string(),
  name: z.string(),
  creation_time: int64,
  lifecycle_stage: text,
});
export type WireExperiment = z.infer<typeof wireExperimentSchema>;

/** A `Metric` of metrics/get-history (the value may be a number or a proto-JSON string such as "NaN"). */
export const wireHistoryMetricSchema = z.looseObject({
  key: z.string(),
  value: z.union([z.number(), z.string()]),
  timestamp: int64,
  step: int64,
});
export type WireHistoryMetric = z.infer<typeof wireHistoryMetricSchema>;

/** A `FileInfo` of artifacts/list. */
export const wireFileInfoSchema = z.looseObject({
  path: z.string(),
  is_dir: z.boolean().nullish(),
  file_size: int64,
});
export type WireFileInfo = z.infer<typeof wireFileInfoSchema>;

/** A `RegisteredModel` of registered-models/search and registered-models/get. */
export const wireRegisteredModelSchema = z.looseObject({
  name: z.string(),
  creation_timestamp: int64,
  aliases: z
    .array(z.looseObject({ alias: z.string(), version: z.union([z.string(), z.number()]) }))
    .nullish(),
  latest_versions: z.array(wireModelVersionSchema).nullish(),
});
export type WireRegisteredModel = z.infer<typeof wireRegisteredModelSchema>;

/** The `LoggedModel` of logged-models/create (the fields tsad reads). */
export const wireLoggedModelSchema = z.looseObject({
  info: z.looseObject({ model_id: z.string(), artifact_uri: z.string() }),
});

/** `r[field]`, a list of records each checked against `schema` (absent or null: an empty list). */
export function parseWireList<T>(
  schema: z.ZodType,
  r: Record<string, unknown>,
  field: string,
  endpoint: string,
): T[] {
  const v = r[field];
  if (v === undefined || v === null) return [];
  return parseWire<T[]>(z.array(schema), v, `${endpoint} (${field})`);
}

/**
 * `value` checked against `schema`; `T` is the interface the mapping code reads (the schema's
 * shape, with MLflow's nulls read as absent by that code).
 */
export function parseWire<T>(schema: z.ZodType, value: unknown, endpoint: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TrackingError(
      'mlflow_bad_response',
      `MLflow ${endpoint} returned a record whose ${issue.path.join('.') || 'body'} is not what MLflow's API documents (${issue.message}); is the URI an MLflow server?`,
    );
  }
  return r.data as T;
}

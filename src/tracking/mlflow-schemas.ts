/**
 * zod schemas of the MLflow records tsad reads (runs, model versions): a response whose record
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

/**
 * The shared rules of every tracking backend, one module per concern (this file only gathers
 * them for the backends and white-box tests):
 * - `validate.ts`: limits and validation of keys, names, values, artifact paths, versions;
 * - `params.ts`: param flattening and immutability, the dataset digest, run ids, system tags;
 * - `filter.ts`: the MLflow filter language (parse, format, match);
 * - `query.ts`: in-memory query evaluation (filter, sort, truncate);
 * - `models.ts`: model URIs, MLflow Model directories, the model loader, version/alias resolution;
 * - `base-run.ts`: `BaseRun`, every `Run` method over four write primitives;
 * - `core.ts`: `BaseTracker`, `startRun`/`run()`, registry validation, model loading, over a
 *   backend's storage primitives and its `RegistryStore`.
 */
export * from './base-run.js';
export * from './core.js';
export * from './filter.js';
export * from './models.js';
export * from './params.js';
export * from './query.js';
export * from './validate.js';

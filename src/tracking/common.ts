/**
 * The shared rules of every tracking backend, one module per concern (this file only gathers
 * them for the backends and white-box tests):
 * - `validate.ts`: limits and validation of keys, names, values, artifact paths, versions;
 * - `params.ts`: param flattening and immutability, the dataset digest, run ids, system tags;
 * - `filter.ts`: the MLflow filter language (parse, format, match);
 * - `query.ts`: in-memory query evaluation (filter, sort, truncate);
 * - `models.ts`: model URIs, MLflow Model directories, the model loader, version/alias resolution;
 * - `store.ts`: `Store`, `RunStore`, `RegistryStore`: what a backend implements;
 * - `base-run.ts`: `BaseRun`, every `Run` method over a `RunStore`;
 * - `core.ts`: `BaseTracker`, every `Tracker` method over a `Store` (all argument validation,
 *   `startRun`/`run()`, the registry methods, model loading).
 */
export * from './base-run.js';
export * from './core.js';
export * from './filter.js';
export * from './models.js';
export * from './params.js';
export * from './query.js';
export * from './store.js';
export * from './validate.js';

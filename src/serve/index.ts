/** `tsad/serve`: the scoring service as a library (what `tsad serve` runs). */
export {
  type CheckpointStore,
  DirectoryCheckpointStore,
  type SavableStream,
  type SeriesCheckpoint,
  type StreamFactory,
  streamFactory,
} from './checkpoint.js';
export { ServeError } from './errors.js';
export { ServeMetrics } from './metrics.js';
export { type LoadedModel, type ModelGroup, ModelResolver } from './models.js';
export { createService, type Service, type ServiceOptions } from './service.js';
export { type TrainInWorkerOptions, trainInWorker } from './trainer.js';

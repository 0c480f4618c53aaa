export {
  BaseDetector,
  type BaseDetectorConfig,
  baseConfigShape,
  baseLoader,
  checkSeries,
  parseConfig,
  type RawStreamer,
} from './base.js';
export {
  averagePathLength,
  IsolationForest,
  type IsolationForestConfig,
  type IsolationForestInput,
  IsolationForestModel,
  isolationForestConfigSchema,
} from './isolation-forest.js';
export { decodeFloats, decodeInts, encodeFloats } from './json.js';
export { assertPlainJson, modelEnvelopeSchema } from './model.js';
export * from './post/index.js';
export {
  CutForest,
  type CutForestOptions,
  CutTree,
  type CutTreeSpec,
  RandomCutForest,
  type RandomCutForestConfig,
  type RandomCutForestInput,
  randomCutForestConfigSchema,
} from './rcf/index.js';
export { type DetectorLoader, loadModel, registerDetector, registeredTypes } from './registry.js';
export { Rng } from './rng.js';
export {
  type Frame,
  TransformPipeline,
  type TransformSpec,
  TransformStreamer,
  tailOf,
  transformSchema,
} from './transforms.js';
export type * from './types.js';

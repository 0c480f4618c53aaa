export {
  RandomCutForest,
  type RandomCutForestConfig,
  type RandomCutForestInput,
  RCF_MAX_ABS,
  randomCutForestConfigSchema,
} from './detector.js';
export {
  CutForest,
  type CutForestOptions,
  forestWorkerStatus,
  rejectBound,
  startForestWorker,
  stopForestWorker,
} from './forest.js';
export { CutTree, type CutTreeSpec, type Uniform } from './tree.js';

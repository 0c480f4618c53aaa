export {
  type BenchFileRow,
  type BenchKindRow,
  type BenchOptions,
  type BenchReport,
  type BenchRow,
  type BenchWindow,
  corpusKinds,
  formatBench,
  resolveCorpus,
  runBench,
} from './bench.js';
export { defaultFlatDetector, kindsDetector } from './candidates.js';
export {
  formatLocate,
  LOCATE_RECIPES,
  type LocateFile,
  type LocateOptions,
  type LocateReport,
  type LocateRow,
  type LocateScorer,
  runLocate,
  TWO_SIDED_BROAD_LOCATE,
  TWO_SIDED_LOCATE,
} from './locate.js';
export { FLOOR_RECIPE } from './recipes.js';
export {
  KINDS_FILE,
  nabTime,
  SYNTH_KINDS,
  SYNTH_MAX_LENGTH,
  SYNTH_NOISE,
  SYNTH_STEPS_MIN,
  type SynthCorpus,
  type SynthFile,
  type SynthKind,
  type SynthOptions,
  type SynthWindow,
  synthCorpus,
  writeSynthCorpus,
} from './synth.js';
export { ZeroDetector } from './zero.js';

/**
 * Round 21b of docs/evaluation.md: the level-drift member's calibration settings (`crossFit`,
 * `lengthGrowth`) beside the default of round 17, replayed over its cached scores through today's alarm
 * rule as bench/drift18-sweep.ts does, per group of corpora (groups may be seed groups at one length, so the
 * held-out group can be a length), with a leave-one-group-out choice that maximises anomaly-free files quiet
 * among the settings with no fewer windows found and no kind lower than the first setting's (give today's
 * member, `DEFAULT_DRIFT`, first). Tuning seeds only.
 *
 *   npx tsx bench/drift21-sweep.ts [--diff] CACHE NAME=DIR,DIR… NAME=… -- '{…LevelDriftSettings}'…
 *
 * `--diff`: also prints each file where a setting's windows found or quiet differ from the first setting's.
 */
import { defaultDetector } from '../src/detectors/default.js';
import {
  LEVEL_DRIFT_DEFAULTS,
  LevelDriftCore,
  type LevelDriftSettings,
} from '../src/detectors/level-drift/core.js';
import { memberBesideDefaultSweep } from './harness.js';

const argv = process.argv.slice(2);
const diff = argv[0] === '--diff';
await memberBesideDefaultSweep<LevelDriftSettings>({
  argv: diff ? argv.slice(1) : argv,
  diff,
  defaults: ['{"refractory":672,"burst":2,"ratio":4}'],
  usage: "usage: drift21-sweep.ts <cacheDir> NAME=DIR,… … -- '{…}'…",
  core: (o) => new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...o }),
  // the default the replay stands for (late arming off, as the cached scores): see memberBesideDefaultSweep
  detector: (o) => defaultDetector({ drift: o, seasonal: { late: undefined } }),
  checks: 1,
  maximise: 'quiet',
});

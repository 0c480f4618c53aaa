/**
 * Round 18a of docs/evaluation.md: the level-drift member (src/detectors/level-drift, a CUSUM on the residual
 * against the training seasonal profile) as one more part of today's default's maximum, replayed over the
 * default's cached scores through today's alarm rule (`AggregateAlarms` with `DEFAULT_STRONG_THRESHOLD` and
 * `DEFAULT_COUNT_POINTS`), per group of corpora, with a leave-one-group-out choice. Tuning seeds only.
 *
 *   npx tsx bench/drift18-sweep.ts CACHE NAME=DIR,DIR… NAME=… -- none '{…LevelDriftSettings}'…
 *
 * For every group it prints windows found at or after onset by the rule, anomaly-free files quiet and the
 * per-kind counts; then, holding out each group in turn, the setting with the most windows found on the
 * other groups among those with no fewer quiet files and no kind lower than `none` there (ties: the
 * earlier setting in the list), and what it gives on the held group. It checks that `none` replays the
 * streamed default's alarms, and (on a few files) that `defaultDetector({ drift })` streams to the replay.
 */
import { defaultDetector } from '../src/detectors/default.js';
import {
  LEVEL_DRIFT_DEFAULTS,
  LevelDriftCore,
  type LevelDriftSettings,
} from '../src/detectors/level-drift/core.js';
import { memberBesideDefaultSweep } from './harness.js';

await memberBesideDefaultSweep<LevelDriftSettings>({
  argv: process.argv.slice(2),
  defaults: ['none', '{}'],
  usage: "usage: drift18-sweep.ts <cacheDir> NAME=DIR,… … -- none '{…}'…",
  core: (o) => new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...o }),
  // the default the replay stands for (late arming off, as the cached scores): see memberBesideDefaultSweep
  detector: (o) => defaultDetector({ drift: o, seasonal: { late: undefined } }),
  checks: 1,
});

/**
 * Round 19a of docs/evaluation.md: the seasonal-change member of the default before round 19a (round 17's,
 * `drift: false`; its scores are the cache's) with other settings (e.g. a lower
 * `minPeriods`, so that it is on where the training part holds fewer whole days), replayed over the
 * default's cached scores through today's alarm rule, per group of corpora, with a leave-one-group-out
 * choice. Tuning seeds only.
 *
 *   npx tsx bench/season19-sweep.ts CACHE NAME=DIR,DIR… NAME=… -- none '{"minPeriods":1}'…
 *
 * A setting's member (`{ ...SEASONAL_CHANGE_DEFAULTS, floor: DEFAULT_SEASONAL_FLOOR, ...setting }`) is fitted
 * on each file's training part; where it is on, its |score| joins the default's cached |score| in the
 * maximum, and the alarm rule (`AggregateAlarms` with `DEFAULT_STRONG_THRESHOLD` and
 * `DEFAULT_COUNT_POINTS`) is replayed over that. The replay equals `defaultDetector({ seasonal: { floor,
 * late: undefined, ...setting }, drift: false })` streamed (late arming off since round 21a pinned, as in
 * the cache) only where the setting's member scores at least what the default's own
 * seasonal member scores (true for a setting that changes only `minPeriods` or `minPeriodPoints`: where the
 * default's member is on, the setting's is the same member); the script checks that on a few files where
 * the member is on. Prints what bench/harness.ts `printGroupSweep` prints (maximising windows found).
 */
import { DEFAULT_SEASONAL_FLOOR, defaultDetector } from '../src/detectors/default.js';
import {
  SEASONAL_CHANGE_DEFAULTS,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from '../src/detectors/seasonal-change/core.js';
import type { SeasonalChangeInput } from '../src/detectors/seasonal-change/detector.js';
import { memberBesideDefaultSweep } from './harness.js';

await memberBesideDefaultSweep<SeasonalChangeSettings>({
  argv: process.argv.slice(2),
  defaults: ['none', '{"minPeriods":1}'],
  usage: "usage: season19-sweep.ts <cacheDir> NAME=DIR,… … -- none '{…}'…",
  core: (o) => new SeasonalChangeCore({ ...SEASONAL_CHANGE_DEFAULTS, floor: DEFAULT_SEASONAL_FLOOR, ...o }),
  detector: (o) =>
    defaultDetector({
      // late arming off unless the setting gives it, as in the replayed core (and the cached default)
      seasonal: { floor: DEFAULT_SEASONAL_FLOOR, late: undefined, ...(o as SeasonalChangeInput) },
      drift: false,
    }),
  checks: 3,
});

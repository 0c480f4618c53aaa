/**
 * Round 44 of docs/evaluation.md (issue 13, bar 2): does a model of the daily cycle as **shape** — a
 * harmonic regression on the time of day, fitted on the training part and updated online by recursive
 * least squares — keep the anomaly-free files quiet that alarm today because the training part has not
 * shown the whole day, without losing windows? Since harm45 the default's ZMS member carries it
 * (`dailyHarmonics: 1`). Settings:
 *
 * - `today`: the default before round 44 was built in (`defaultBefore44()`, `defaultDetector()` until harm45);
 * - `built`: `defaultDetector()`.
 *
 * Round 44 swept a lab prototype here (a wrapper feeding ZMS, or all three mean members, the residual of K
 * daily harmonics: the settings `z:K:MODE[:R2]` and `m:K:MODE[:R2]`, MODE `on`, `off`, `pi` or `pis`).
 * fix46 retired it: `built` streams what its `z:1:on` streamed, bit for bit (test/detectors/zms-harmonic.test.ts
 * keeps the checksum of those scores on NAB machine temperature), so `today built` reproduces round 44's
 * held-out table; the other settings are in the git history of this file and of src/lab/harmonic44.ts.
 *
 * Each file is streamed once per setting after training on NAB's probationary part (the library's own
 * alarms, cached in CACHE by setting name: a changed detector needs a fresh CACHE). Prints each
 * group's line per setting, the pooled line, and the leave-one-group-out choice (the most quiet
 * anomaly-free files among the settings with no fewer windows found and no kind lower than `today`),
 * plus a per-step table of quiet files and windows. Tuning seeds only.
 *
 *   npx tsx bench/cycle44-sweep.ts CACHE NAME=DIR,DIR… NAME=… [-- today built] [--only-step MIN]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDetector } from '../src/detectors/default.js';
import type { Detector } from '../src/detectors/types.js';
import { defaultBefore44 } from '../src/lab/before44.js';
import {
  type GroupTally,
  groupFiles,
  groupSweepArgs,
  groupTally,
  printGroupSweep,
  streamAfterTraining,
  tallyGroupFile,
} from './harness.js';

const argv = process.argv.slice(2);
let onlyStep: number | null = null;
const os = argv.indexOf('--only-step');
if (os >= 0) {
  onlyStep = Number(argv[os + 1]);
  argv.splice(os, 2);
}
const usage = 'usage: cycle44-sweep.ts CACHE NAME=DIR,… … [-- today built] [--only-step MIN]';
const { cacheDir, groups, settings } = groupSweepArgs(argv, ['today', 'built'], usage);
if (settings[0] !== 'today') throw new Error(`${usage}: the first setting must be today`);
const MAKERS: Readonly<Record<string, () => Detector>> = {
  today: () => defaultBefore44(),
  built: () => defaultDetector(),
};
const makers = settings.map((s) => {
  const mk = MAKERS[s];
  if (!mk)
    throw new Error(
      `${usage}: unknown setting ${s} (today or built; round 44's prototype settings were retired in fix46)`,
    );
  return mk;
});

/** The library's own alarms of the setting's detector streamed after training on the first p points, cached. */
function cachedAlarms(
  corpus: string,
  file: string,
  setting: string,
  mk: () => Detector,
  t: Float64Array,
  v: Float64Array,
  p: number,
): Uint8Array {
  const key = (x: string) => x.replace(/[^A-Za-z0-9]+/g, '_');
  const dir = join(cacheDir, key(corpus));
  const path = join(dir, `${key(file)}.${key(setting)}.alarm.u8`);
  if (existsSync(path)) return new Uint8Array(readFileSync(path));
  const { alarm } = streamAfterTraining(mk(), t, v, p);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, alarm);
  return alarm;
}

const res: GroupTally[][] = groups.map(() => settings.map(() => groupTally()));
const bySteps = new Map<number, { clean: number; quiet: number[]; windows: number; found: number[] }>();
for await (const f of groupFiles(groups)) {
  const step = (f.t[1] - f.t[0]) / 60_000;
  if (onlyStep !== null && step !== onlyStep) continue;
  const row = bySteps.get(step) ?? {
    clean: 0,
    quiet: settings.map(() => 0),
    windows: 0,
    found: settings.map(() => 0),
  };
  bySteps.set(step, row);
  if (f.ws.length === 0) row.clean++;
  row.windows += f.ws.length;
  for (const [k, s] of settings.entries()) {
    const alarm = cachedAlarms(f.corpus, f.file, s, makers[k], f.t, f.v, f.p);
    const r = tallyGroupFile(res[f.gi][k], f.ws, f.t, alarm, f.p);
    if (f.ws.length === 0 && r.quiet) row.quiet[k]++;
    row.found[k] += r.found.filter((x) => x).length;
  }
}
printGroupSweep(groups, settings, res, 'quiet');
for (const [step, r] of [...bySteps.entries()].sort((a, b) => a[0] - b[0]))
  process.stdout.write(
    `step ${step} min: quiet ${settings.map((s, k) => `${s} ${r.quiet[k]}`).join(', ')} of ${r.clean}; found ${settings.map((s, k) => `${s} ${r.found[k]}`).join(', ')} of ${r.windows}\n`,
  );

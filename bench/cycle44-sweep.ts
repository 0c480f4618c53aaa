/**
 * Round 44 of docs/evaluation.md (issue 13, bar 2): does a model of the daily cycle as **shape** — a
 * harmonic regression on the time of day, fitted on the training part and updated online by recursive
 * least squares — keep the anomaly-free files quiet that alarm today because the training part has not
 * shown the whole day, without losing windows? The prototype is a wrapper (`Harmonic44`, a third-party
 * `Detector` to the ensemble) that feeds a member the residual `v − Σ_k (a_k sin kωt + b_k cos kωt)`
 * (ω = 2π / day, UTC time of day; the fitted intercept stays in, so the member still sees the level) in
 * place of the value. Settings:
 *
 * - `today`: the default before round 44 was built in (`defaultBefore44()`, `defaultDetector()` until harm45);
 * - `built`: `defaultDetector()` (since harm45 its ZMS member has `dailyHarmonics: 1`, `z:1:on` built in);
 * - `z:K:MODE[:R2]`: the default with its ZMS member (the level view) fed the residual of K daily harmonics;
 *   MODE `on` (the coefficients learn every streamed point after scoring it, recursive least squares
 *   without forgetting, started from the training fit) or `off` (the training fit, frozen); with R2, the
 *   harmonics are used only when they explain at least that share of the training part's variance
 *   (otherwise the member sees the value, as today); MODE `pi`: `on`, and the deviation from the fitted
 *   level is shrunk by the ratio of the training residual's sd to the prediction's (`HarmonicFit.shrunk`);
 *   MODE `pis`: `pi` only where the training part spans less than a day, the value elsewhere (where the
 *   training part spans a day its range already holds the daily swing); there the detector is the
 *   default's bit for bit, so `--reuse-today` takes today's cached alarms for those files;
 * - `m:K:MODE[:R2]`: the same residual fed to all three members of the mean (ETS, the forest, ZMS); the
 *   flat-line, seasonal-change and level-drift members keep the raw value (a stuck value is not flat in a
 *   residual, and the seasonal-change member needs the cycle).
 *
 * Each file is streamed once per setting after training on NAB's probationary part (the library's own
 * alarms, cached in CACHE by setting name: a changed prototype needs a fresh CACHE). Prints each
 * group's line per setting, the pooled line, and the leave-one-group-out choice (the most quiet
 * anomaly-free files among the settings with no fewer windows found and no kind lower than `today`),
 * plus a per-step table of quiet files and windows. Tuning seeds only.
 *
 *   npx tsx bench/cycle44-sweep.ts CACHE NAME=DIR,DIR… NAME=… [-- SETTING…] [--only-step MIN] [--reuse-today]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Detector } from '../src/detectors/types.js';
import { makeHarmonic44 } from '../src/lab/harmonic44.js';
import {
  type GroupTally,
  groupFiles,
  groupSweepArgs,
  groupTally,
  printGroupSweep,
  streamAfterTraining,
  tallyGroupFile,
} from './harness.js';

const DAY = 86_400_000;

const argv = process.argv.slice(2);
let onlyStep: number | null = null;
const reuse = argv.indexOf('--reuse-today');
const reuseToday = reuse >= 0;
if (reuseToday) argv.splice(reuse, 1);
const os = argv.indexOf('--only-step');
if (os >= 0) {
  onlyStep = Number(argv[os + 1]);
  argv.splice(os, 2);
}
const usage = 'usage: cycle44-sweep.ts CACHE NAME=DIR,… … [-- SETTING…] [--only-step MIN] [--reuse-today]';
const { cacheDir, groups, settings } = groupSweepArgs(argv, ['today', 'z:1:on'], usage);
if (settings[0] !== 'today') throw new Error(`${usage}: the first setting must be today`);
const makers = settings.map(makeHarmonic44);

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
    const passThrough = reuseToday && s.split(':')[2] === 'pis' && f.t[f.p - 1] - f.t[0] >= DAY;
    const alarm = cachedAlarms(
      f.corpus,
      f.file,
      passThrough ? 'today' : s,
      makers[passThrough ? 0 : k],
      f.t,
      f.v,
      f.p,
    );
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

/**
 * Round 21b of docs/evaluation.md: why the level-drift member's CUSUM sum keeps growing on long anomaly-free
 * streams. For each anomaly-free file of in-memory `tsad synth` corpora (tuning seeds only) on which the
 * member is on, trains the core on NAB's probationary part and streams the rest with nothing re-anchored and
 * nothing floored, then prints: the step, period, training maximum M, the test part's largest sum over M,
 * the weekday of that maximum, which sum (up/down), the training residuals' lag-1 autocorrelation, and the
 * mean standardised residual on weekdays and weekends of the test part.
 *
 *   npx tsx bench/quiet21-drift-diag.ts <lengths, e.g. 12000,48000> <seeds, e.g. 2001,2101,2201> [settings JSON]
 */

import { DEFAULT_DRIFT } from '../src/detectors/default.js';
import { LEVEL_DRIFT_DEFAULTS, LevelDriftCore } from '../src/detectors/level-drift/core.js';
import { synthCorpus } from '../src/lab/synth.js';
import { nabProbationaryLength } from '../src/metrics/nab-prepare.js';

const lengths = (process.argv[2] ?? '12000,48000').split(',').map(Number);
const seeds = (process.argv[3] ?? '2001,2101,2201').split(',').map(Number);
const extra = JSON.parse(process.argv[4] ?? '{}') as Record<string, number | boolean>;
const DAY = 86_400_000;

interface Peek {
  h: number;
  spread: number;
  up: number;
  dn: number;
  expected(slot: number): number;
  slot(t: number): number;
}

for (const length of lengths)
  for (const seed of seeds) {
    const c = synthCorpus({ seed, length });
    for (const f of c.files) {
      if (!f.name.startsWith('clean/')) continue;
      const n = f.t.length;
      const p = nabProbationaryLength(n);
      const core = new LevelDriftCore({
        ...LEVEL_DRIFT_DEFAULTS,
        ...DEFAULT_DRIFT,
        refractory: 0,
        floor: 0,
        reanchor: 1e9,
        ...extra,
      });
      core.fit(f.t.subarray(0, p), f.v.subarray(0, p));
      const k = core as unknown as Peek;
      if (core.period === 0) continue;
      const M = k.h / Number(extra.ratio ?? DEFAULT_DRIFT.ratio);
      // lag-1 autocorrelation of the training residuals
      const res = new Float64Array(p);
      for (let i = 0; i < p; i++) res[i] = (f.v[i] - k.expected(k.slot(f.t[i]))) / k.spread;
      let m = 0;
      for (let i = 0; i < p; i++) m += res[i];
      m /= p;
      let c0 = 0,
        c1 = 0;
      for (let i = 0; i < p; i++) c0 += (res[i] - m) ** 2;
      for (let i = 1; i < p; i++) c1 += (res[i] - m) * (res[i - 1] - m);
      // round 21b's candidate: the training maximum plus the growth a CUSUM maximum has over a longer stream
      const rho = Math.min(0.99, Math.max(0, c1 / c0));
      const theta = (1 + rho) / (1 - rho) / (2 * LEVEL_DRIFT_DEFAULTS.k);
      let topG = 0;
      let top = 0,
        at = p,
        which = '';
      let wdS = 0,
        wdN = 0,
        weS = 0,
        weN = 0;
      for (let i = p; i < n; i++) {
        const z = (f.v[i] - k.expected(k.slot(f.t[i]))) / k.spread;
        const dow = ((f.t[i] - Date.UTC(2024, 0, 1)) % (7 * DAY)) / DAY;
        if (dow >= 5) {
          weS += z;
          weN++;
        } else {
          wdS += z;
          wdN++;
        }
        core.scoreRow(f.t[i], f.v[i]);
        const S = Math.max(k.up, k.dn);
        const g = S / (M + theta * Math.log(Math.max(1, (i - p + 1) / p)));
        if (g > topG) topG = g;
        if (S > top) {
          top = S;
          at = i;
          which = k.up >= k.dn ? 'up' : 'dn';
        }
      }
      const dow = Math.floor(((f.t[at] - Date.UTC(2024, 0, 1)) % (7 * DAY)) / DAY);
      console.log(
        [
          `L${length} s${seed} ${f.name.replace('clean/', '')}`,
          `step ${f.stepMin}m P ${core.period}`,
          `train ${((f.t[p - 1] - f.t[0]) / DAY).toFixed(1)}d test ${((f.t[n - 1] - f.t[p]) / DAY).toFixed(0)}d`,
          `M ${M.toFixed(1)} h ${k.h.toFixed(1)}`,
          `testmax/M ${(top / M).toFixed(2)} (${which}, dow ${dow})`,
          `rho1 ${(c1 / c0).toFixed(2)} theta ${theta.toFixed(1)} max S/(M+θ ln) ${topG.toFixed(2)}`,
          `z wkday ${(wdS / Math.max(1, wdN)).toFixed(2)} wkend ${(weS / Math.max(1, weN)).toFixed(2)}`,
        ].join(' | '),
      );
    }
  }

import { Rng } from '../../src/detectors/index.js';
import { gaussOne, SeasonalChangeCore, type SeasonalChangeSettings } from '../../src/internal.js';

export const DAY = 86_400_000;
/** 5-minute steps: a daily cycle is 288 points. */
export const STEP = 300_000;

/**
 * A daily cycle around 50 (a sine of amplitude `amp`, default 10; a square-ish wave `tanh(4 sin)` when
 * `square`) with Gaussian noise of sd `noise` (default 1). On [at, at + len) the cycle runs `factor` × as
 * fast and stays shifted after (as the synthetic corpora's frequency changes do), or with `flat` the
 * values hold the level while the cycle runs on underneath (it comes back in phase, as NAB's
 * art_daily_flatmiddle). Shared by the late-arming tests (rounds 12a, 13a, 15a).
 */
export function lateSeries(
  n: number,
  o: {
    seed?: number;
    at?: number;
    len?: number;
    factor?: number;
    noise?: number;
    amp?: number;
    square?: boolean;
    flat?: boolean;
  } = {},
) {
  const r = new Rng(o.seed ?? 1);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    t[i] = Date.UTC(2024, 0, 1) + i * STEP;
    const fast = o.at !== undefined && i >= o.at && i < o.at + (o.len ?? 0);
    phase += (2 * Math.PI * STEP * (fast ? (o.factor ?? 1) : 1)) / DAY;
    const c = o.square ? Math.tanh(4 * Math.sin(phase)) : Math.sin(phase);
    v[i] = 50 + (fast && o.flat ? 0 : (o.amp ?? 10) * c) + (o.noise ?? 1) * gaussOne(r);
  }
  return { t, v };
}

/**
 * Fits the seasonal-change core on the first `train` points and streams the rest point by point: the
 * scores (0 before `train`), the core, and the first index at which it had a period (`armedAt`, −1
 * when it never armed; `train − 1` when it was on from training and `onFromTraining` is set).
 */
export function streamLateCore(
  s: { t: Float64Array; v: Float64Array },
  train: number,
  settings: SeasonalChangeSettings,
  onFromTraining = false,
) {
  const core = new SeasonalChangeCore(settings);
  core.fit(s.t.subarray(0, train), s.v.subarray(0, train));
  const out = new Float64Array(s.t.length);
  let armedAt = onFromTraining && core.period > 0 ? train - 1 : -1;
  for (let i = train; i < s.t.length; i++) {
    out[i] = core.scoreRow(s.t[i], s.v[i]);
    if (armedAt < 0 && core.period > 0) armedAt = i;
  }
  return { core, out, armedAt };
}

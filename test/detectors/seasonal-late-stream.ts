import { SeasonalChangeCore, type SeasonalChangeSettings } from '../../src/internal.js';

/**
 * Fits the seasonal-change core on the first `train` points and streams the rest point by point: the
 * scores (0 before `train`), the core, and the first index at which it had a period (`armedAt`, −1
 * when it never armed; `train − 1` when it was on from training and `onFromTraining` is set).
 * Shared by the late-arming tests (rounds 12a, 13a, 15a).
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

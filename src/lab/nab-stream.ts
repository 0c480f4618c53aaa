import { DEFAULT_ALARM_RULE } from '../detectors/default.js';
import { AnomalyLikelihoodPost } from '../detectors/post/anomaly-likelihood.js';
import { OnlineCalibrator } from '../detectors/post/online-calibrator.js';
import { streamOnce } from '../detectors/stream-once.js';
import type { Detector } from '../detectors/types.js';
import { isTrainRefusal } from '../errors.js';
import { normalCdf } from '../math/normal.js';
import { nabProbationaryLength } from '../metrics/nab.js';
import { lowerBound } from '../series/ops.js';
import type { TimeSeries, Window } from '../series/types.js';
import { ZeroDetector } from './zero.js';

/**
 * Maps a calibrated anomaly score (a |z|-like value on the standard normal scale) to NAB's [0, 1]:
 * `2Φ(|s|) − 1`, the probability mass of a standard normal closer to 0 than `s`. 0 stays 0, 3 → 0.9973.
 * Non-finite scores map to 0 (no evidence), never NaN.
 */
export function nabAnomalyScore(s: number): number {
  if (!Number.isFinite(s)) return Number.isNaN(s) ? 0 : 1;
  // the erf approximation can overshoot 1 by an ulp or two; NAB rejects scores outside [0, 1]
  return Math.min(1, Math.max(0, 2 * normalCdf(Math.abs(s)) - 1));
}

/**
 * How calibrated scores become NAB's [0, 1] anomaly scores: `cdf` is `2Φ(|s|) − 1`; `likelihood` is the
 * NAB post-processing of `2Φ(|s|) − 1` (`AnomalyLikelihoodPost` with its defaults: anomaly likelihood, novelty, rest period); `identity` is for detectors
 * whose scores are NAB anomaly scores already (clamped to [0, 1]; NaN → 0); `online` is `2Φ(|z|) − 1` of
 * the score calibrated again by an `OnlineCalibrator` (trained on the detector's training scores, then
 * learning every streamed score), which puts every file's scores on its own running scale; `onlinePeak`
 * is `online` kept only on each excursion's rising front (`peakScores` over `PEAK_SPAN_MS`), 0 elsewhere;
 * `onlineAlarm` is `online` kept only on the rows where the detector's own alarm rule fires, 0 elsewhere;
 * `peakMax` is, per row, the larger of `onlinePeak` and a partner detector's score taken as a NAB score
 * (`identity`); `peakMaxPeak` the same with the partner's score first kept on its own rising fronts
 * (`peakScores`). The two are for composite lab recipes (a recipe's `partner`, docs/evaluation.md round
 * 27); without a partner they are `onlinePeak`.
 */
export type NabScoreMapping =
  | 'cdf'
  | 'likelihood'
  | 'identity'
  | 'online'
  | 'onlinePeak'
  | 'onlineAlarm'
  | 'peakMax'
  | 'peakMaxPeak';

/** The mappings that combine the detector's `onlinePeak` score with a partner detector's (round 27). */
export function isPartnerMapping(m: NabScoreMapping): m is 'peakMax' | 'peakMaxPeak' {
  return m === 'peakMax' || m === 'peakMaxPeak';
}

/**
 * The span of `onlinePeak` (docs/evaluation.md, round 13d): the default alarm rule's suppression span
 * (`almSuppressMinutes`, 120 minutes, Merlion's default), so one excursion reports once as one alarm does.
 */
export const PEAK_SPAN_MS = DEFAULT_ALARM_RULE.almSuppressMinutes * 60_000;

/**
 * Keeps each row's score only where it is above every score of the rows in the `spanMs` before it (an
 * excursion's rising front), and 0 elsewhere: NAB counts every row at or above its threshold outside a
 * window as one false positive, so a sustained excursion reports once instead of once per row. `t` is
 * non-decreasing (rows that share a timestamp: the later one is not above the earlier, so it is 0). One
 * pass with a monotone queue; `out` may be `a` itself.
 */
export function peakScores(
  t: Float64Array,
  a: Float64Array,
  spanMs: number,
  out: Float64Array = new Float64Array(a.length),
): Float64Array {
  const n = a.length;
  // the queue holds times and scores (not row indices: `out` may be `a`, overwritten behind the loop),
  // scores decreasing from head to tail
  const qt = new Float64Array(n);
  const qa = new Float64Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i];
    while (head < tail && qt[head] < ti - spanMs) head++;
    const ai = a[i];
    const prevMax = head < tail ? qa[head] : Number.NEGATIVE_INFINITY;
    while (head < tail && qa[tail - 1] <= ai) tail--;
    qt[tail] = ti;
    qa[tail++] = ai;
    out[i] = ai > prevMax ? ai : 0;
  }
  return out;
}

/**
 * The `peakMax` / `peakMaxPeak` combination, in place in `base` (the detector's `onlinePeak` scores by row):
 * each row becomes the larger of it and the partner's NAB score on that row (with `peakPartner`, the
 * partner's score kept on its own rising fronts over `PEAK_SPAN_MS` first; `partner` is not written).
 * A non-finite or out-of-range partner score counts as its clamp to [0, 1] (NaN as 0), as `identity` does,
 * so the result stays in [0, 1] and is at least each part.
 */
export function maxWithPartner(
  t: Float64Array,
  base: Float64Array,
  partner: Float64Array,
  peakPartner: boolean,
): Float64Array {
  const p = new Float64Array(partner.length);
  for (let r = 0; r < p.length; r++) {
    const x = partner[r];
    p[r] = x >= 0 ? Math.min(x, 1) : 0;
  }
  if (peakPartner) peakScores(t, p, PEAK_SPAN_MS, p);
  for (let r = 0; r < base.length; r++) if (p[r] > base[r]) base[r] = p[r];
  return base;
}

/**
 * `onlinePeak` and `onlineAlarm` from the `online` scores of result rows (times `t`) and the detector's
 * alarm rows, in place in `anomaly`; other mappings leave it as it is. `runNabStream` and
 * bench/nab-mapping.ts both derive them here.
 */
export function deriveOnlineMapping(
  mapping: NabScoreMapping,
  t: Float64Array,
  anomaly: Float64Array,
  alarm: Uint8Array,
): Float64Array {
  if (mapping === 'onlinePeak' || isPartnerMapping(mapping)) peakScores(t, anomaly, PEAK_SPAN_MS, anomaly);
  else if (mapping === 'onlineAlarm') for (let r = 0; r < anomaly.length; r++) if (!alarm[r]) anomaly[r] = 0;
  return anomaly;
}

export interface NabStreamResult {
  /** NAB anomaly score per row of `rows` (0 in the probationary period). */
  readonly anomaly: Float64Array;
  /** NAB label per row (1 inside a window). */
  readonly label: Uint8Array;
  /** The detector's own alarm rule per row (1 = alarm), from `stream().push().alarm`. */
  readonly alarm: Uint8Array;
  /** Probationary length in series points. */
  readonly probation: number;
  readonly trainMs: number;
  readonly scoreMs: number;
}

/**
 * Spreads per-point scores of the deduplicated series (timestamps `seriesT`) over the raw rows (timestamps
 * `rowsT`, possibly repeated): each row gets the score of the first series point at or after its time.
 */
export function pointScoresToRows(
  seriesT: Float64Array,
  pointScore: Float64Array,
  rowsT: Float64Array,
): Float64Array {
  const last = seriesT.length - 1;
  const out = new Float64Array(rowsT.length);
  for (let r = 0; r < rowsT.length; r++) out[r] = pointScore[Math.min(lowerBound(seriesT, rowsT[r]), last)];
  return out;
}

/**
 * Trains `detector` on a file's probationary part; a detector that refuses that data (`DetectorError`
 * `too_few_points`, or `tiny_scale`: ETS on NAB's constant art_flatline fits it exactly) scores the file
 * as the floor does, zeros through the recipe's mapping, instead of failing the whole run. Every other
 * error still fails the file.
 */
function trainOrFloor(detector: Detector, probation: TimeSeries): Detector {
  try {
    detector.train(probation);
    return detector;
  } catch (e) {
    if (!isTrainRefusal(e)) throw e;
    const floor = new ZeroDetector();
    floor.train(probation);
    return floor;
  }
}

/**
 * Runs a detector over one NAB file under NAB's rules: it trains on the probationary period only, then
 * scores every later point through `stream()` before that point is learned from (online detectors keep
 * learning as they go); no look-ahead, no per-file settings. Raw rows that share a timestamp (the file's
 * clock stepped back) get the score of their timestamp's point in the deduplicated series. A detector
 * that refuses the probationary part scores the file as the floor (`trainOrFloor`). With a `partner` and
 * a partner mapping (`peakMax`, `peakMaxPeak`), the partner is run over the file the same way (`identity`)
 * and combined by `maxWithPartner`; the alarms stay the detector's own. Other mappings ignore `partner`.
 * The run uses the detectors up: the stream takes the trained state without a copy (`streamOnce`), and
 * tsad's detectors refuse any later call; pass new ones each time.
 */
export function runNabStream(
  given: Detector,
  series: { t: Float64Array; v: Float64Array },
  rows: { t: Float64Array; v: Float64Array },
  windows: readonly Window[],
  mapping: NabScoreMapping = 'cdf',
  partner?: Detector,
): NabStreamResult {
  if (partner && isPartnerMapping(mapping)) {
    const own = runNabStream(given, series, rows, windows, mapping);
    const other = runNabStream(partner, series, rows, windows, 'identity');
    maxWithPartner(rows.t, own.anomaly, other.anomaly, mapping === 'peakMaxPeak');
    return { ...own, trainMs: own.trainMs + other.trainMs, scoreMs: own.scoreMs + other.scoreMs };
  }
  const n = series.t.length;
  const probation = nabProbationaryLength(n);
  const t0 = performance.now();
  const detector = trainOrFloor(given, {
    t: series.t.subarray(0, probation),
    v: series.v.subarray(0, probation),
  });
  const t1 = performance.now();
  const likelihood = mapping === 'likelihood' ? new AnomalyLikelihoodPost() : undefined;
  const online =
    mapping === 'online' || mapping === 'onlinePeak' || mapping === 'onlineAlarm' || isPartnerMapping(mapping)
      ? new OnlineCalibrator(1000)
      : undefined;
  if (online) {
    const kept = (detector as { trainScores?: TimeSeries | null }).trainScores;
    const train =
      kept && kept.v.length > 0
        ? kept
        : detector.score({ t: series.t.subarray(0, probation), v: series.v.subarray(0, probation) });
    online.train(Float64Array.from(train.v));
  }
  if (likelihood) {
    // the post-processor learns the probationary period too: its values (for the novelty checks) and the
    // detector's in-sample scores there (training data only, nothing from later points)
    // (BaseDetector keeps its calibrated train scores; other detectors score the training data once more).
    // Scores are matched to points by timestamp: a difference transform leaves the first point unscored.
    const kept = (detector as { trainScores?: TimeSeries | null }).trainScores;
    const train =
      kept && kept.v.length > 0
        ? kept
        : detector.score({ t: series.t.subarray(0, probation), v: series.v.subarray(0, probation) });
    let j = 0;
    for (let i = 0; i < probation; i++) {
      while (j < train.t.length && train.t[j] < series.t[i]) j++;
      const s = j < train.t.length && train.t[j] === series.t[i] ? nabAnomalyScore(train.v[j]) : 0;
      likelihood.push(s, series.v[i]);
    }
  }
  // the detector is this run's own (trained above, dropped after): the stream takes its state, no copy
  const scorer = streamOnce(detector);
  const pointScore = new Float64Array(n);
  const pointAlarm = new Float64Array(n);
  for (let i = probation; i < n; i++) {
    const pushed = scorer.push(series.t[i], series.v[i]);
    const raw = pushed.score;
    if (pushed.alarm) pointAlarm[i] = 1;
    if (mapping === 'identity') {
      pointScore[i] = raw >= 0 ? Math.min(raw, 1) : 0;
      continue;
    }
    const s = nabAnomalyScore(online ? online.push(raw) : raw);
    pointScore[i] = likelihood ? likelihood.push(s, series.v[i]) : s;
  }
  const t2 = performance.now();
  const anomaly = pointScoresToRows(series.t, pointScore, rows.t);
  const alarmRows = pointScoresToRows(series.t, pointAlarm, rows.t);
  const m = rows.t.length;
  const alarm = new Uint8Array(m);
  for (let r = 0; r < m; r++) alarm[r] = alarmRows[r] ? 1 : 0;
  deriveOnlineMapping(mapping, rows.t, anomaly, alarm);
  const label = new Uint8Array(m);
  for (let r = 0; r < m; r++) {
    const tr = rows.t[r];
    for (const [a, b] of windows) {
      if (tr >= a && tr <= b) {
        label[r] = 1;
        break;
      }
    }
  }
  return { anomaly, label, alarm, probation, trainMs: t1 - t0, scoreMs: t2 - t1 };
}

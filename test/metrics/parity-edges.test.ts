/**
 * Edge cases a reviewer runs side by side with Merlion and NAB (task eval40). Every expected value is worked
 * out in the comments from the rules of ../shared/spec/merlion-tsad-metrics.md (sections named "M§") and
 * ../shared/spec/nab-scoring.md ("N§"), not from our code. Constants reused from the specs' worked examples:
 * Merlion σ(0.5) = 0.8597925669097837 (M E8), σ(10/11) = 0.226470286547609 (M E2), σ(20/21) =
 * 0.12009596353062334 (M E5); NAB maxTP = 0.9866142981514303 (N§4).
 */
import { describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/index.js';
import { evaluate, nabRowScores, nabScore, nabWindowsFromAnomalies } from '../../src/metrics/index.js';
import { thrownBy } from '../helpers/thrown.js';

/** Seconds → epoch ms (Merlion works in seconds). */
const sec = (xs: number[]) => Float64Array.from(xs, (x) => x * 1000);
const grid = (n: number, step = 10) => sec(Array.from({ length: n }, (_, i) => i * step));
/** Merlion's NAB-style score (M§6) from its parts, for the standard profile. */
const merlionNab = (tpScore: number, fpScore: number, fn: number, anomalies: number) =>
  (tpScore - 0.11 * fpScore - fn + anomalies) / (2 * anomalies + 1e-8);

const SIGMA_HALF = 0.8597925669097837;
const SIGMA_10_11 = 0.226470286547609;
const SIGMA_20_21 = 0.12009596353062334;

describe('Merlion TSAD metrics: edge cases worked from the spec', () => {
  it('every point an alarm: one TP, every normal point an FP weighted by its position', () => {
    // ts 0..40 step 10, y = 0 0 1 0 0. M§2: segments normal [0,20), anomaly [20,30), normal [30,41) (last: 40+1).
    // normal [0,20): alarms at 0 (x = 0, σ = 1) and 10 (x = 10/20, σ = 0.85979…) → 2 FP.
    // anomaly [20,30): point 20 alarms → TP, delay 0, x = 0, σ = 1; point-wise TP 1, point-adjusted TP 1.
    // normal [30,41): alarms at 30 (x = 0, σ = 1) and 40 (x = 10/11, σ = 0.22647…) → 2 FP.
    // fp 4, tn 0, fpScore = 1 + σ(0.5) + 1 + σ(10/11); P = 1/5, R = 1, F1 = 2·0.2/1.2 = 1/3 for every type.
    const r = evaluate({ t: grid(5), truth: [0, 0, 1, 0, 0], pred: [1, 1, 1, 1, 1] });
    const c = r.counts;
    expect([c.tpAnom, c.fnAnom, c.tpPointwise, c.fnPointwise, c.tpPointAdjusted, c.fnPointAdjusted]).toEqual([
      1, 0, 1, 0, 1, 0,
    ]);
    expect([c.fp, c.tn]).toEqual([4, 0]);
    expect(c.tpScore).toBe(1);
    const fpScore = 1 + SIGMA_HALF + 1 + SIGMA_10_11;
    expect(c.fpScore).toBeCloseTo(fpScore, 14);
    for (const p of [r.revised, r.pointAdjusted, r.pointwise]) {
      expect(p.precision).toBeCloseTo(0.2, 15);
      expect(p.recall).toBe(1);
      expect(p.f1).toBeCloseTo(1 / 3, 15);
    }
    expect(r.meanTimeToDetectSec).toBe(0);
    expect(r.meanAnomalyDurationSec).toBe(10);
    expect(r.nab.standard).toBeCloseTo(merlionNab(1, fpScore, 0, 1), 14);
  });

  it('no alarm at all (0 and -0): every ratio 0, the NAB-style score exactly 0 (the null detector)', () => {
    // ts 0..40, y = 0 1 1 0 0: normal [0,10) TN 1; anomaly [10,30) points 10, 20 → FN (point-wise 2,
    // point-adjusted 2); normal [30,41) TN 2. M§6: P = 0 (TP + FP = 0), R = 0, F1 = 0; MTTD 0 s (empty list);
    // mean anomaly duration 20 s; nab = (0 − 0 − 1 + 1)/(2 + 1e-8) = 0. -0 is false under the bool cast (M§1).
    for (const pred of [
      [0, 0, 0, 0, 0],
      [-0, -0, -0, -0, -0],
    ]) {
      const r = evaluate({ t: grid(5), truth: [0, 1, 1, 0, 0], pred });
      const c = r.counts;
      expect([c.tpAnom, c.fnAnom, c.fnPointwise, c.fnPointAdjusted, c.fp, c.tn]).toEqual([0, 1, 2, 2, 0, 3]);
      for (const p of [r.revised, r.pointAdjusted, r.pointwise])
        expect([p.precision, p.recall, p.f1]).toEqual([0, 0, 0]);
      expect(r.meanTimeToDetectSec).toBe(0);
      expect(r.meanAnomalyDurationSec).toBe(20);
      expect(r.nab.standard).toBe(0);
      expect(r.nab.reward_low_FN_rate).toBe(0);
    }
  });

  it('an anomaly at the first point, with an early buffer: nothing before it, and E cuts the last normal segment', () => {
    // ts 0..40, y = 1 1 0 0 0, pred = 0 1 0 0 1, E = 15 s.
    // anomaly [0,20) is the first segment, so P = T = 0 (M§2): w0 = max(0, 0 − 15) = 0, w1 = N = 20 →
    // points 0, 10; first alarm at 10 → TP, delay 10, x = 10/20 → σ(0.5); point-wise TP 1 FN 1, PA TP 2.
    // last normal [20,41): w0 = 20, w1 = max(20, 41 − 15) = 26 → point 20 only → TN 1; the alarm at 40 is
    // never evaluated (M§3 quirk). Without E the same window is [20, 41): the alarm at 40 is an FP with
    // x = 20/21 → σ = 0.12009…, TN 2.
    const input = { t: grid(5), truth: [1, 1, 0, 0, 0], pred: [0, 1, 0, 0, 1] };
    const e = evaluate({ ...input, maxEarlySec: 15 });
    expect([e.counts.tpAnom, e.counts.tpPointwise, e.counts.fnPointwise, e.counts.tpPointAdjusted]).toEqual([
      1, 1, 1, 2,
    ]);
    expect([e.counts.fp, e.counts.tn]).toEqual([0, 1]);
    expect(e.counts.tpScore).toBeCloseTo(SIGMA_HALF, 15);
    expect(e.counts.tpDetectionDelaysSec).toEqual([10]);
    expect(e.precision).toBe(1);
    const plain = evaluate(input);
    expect([plain.counts.fp, plain.counts.tn]).toEqual([1, 2]);
    expect(plain.counts.fpScore).toBeCloseTo(SIGMA_20_21, 15);
    expect(plain.precision).toBe(0.5);
  });

  it('an anomaly at the last point lasts one second, whatever the grid (and D does not cut it)', () => {
    // 5-minute grid 0..1200 s, y = 0 0 0 0 1, the last point alarms. M§2: the last segment ends at
    // ts[n−1] + 1 = 1201, so the anomaly lasts 1 s, not 300; delay 0, x = 0 → σ = 1. D = 60 s is not
    // applied to a final anomaly (M§3 quirk), and would not matter here.
    for (const maxDelaySec of [null, 60]) {
      const r = evaluate({ t: grid(5, 300), truth: [0, 0, 0, 0, 1], pred: [0, 0, 0, 0, 1], maxDelaySec });
      expect(r.counts.anomDurationsSec).toEqual([1]);
      expect(r.meanAnomalyDurationSec).toBe(1);
      expect(r.counts.tpDetectionDelaysSec).toEqual([0]);
      expect(r.counts.tpScore).toBe(1);
      expect([r.counts.tn, r.counts.fp]).toEqual([4, 0]);
      expect(r.f1).toBe(1);
    }
  });

  it('predictions before the truth are ignored; one after it is borrowed by an empty last window', () => {
    // truth ts 10, 20, 30, 40, y = 0 0 0 1 → normal [10,40), anomaly [40,41) (last segment).
    // predictions at 0, 15, 25, 35, 50 = 1 0 0 0 1 (another grid).
    // normal: j0 = lower_bound(tp, 10) = 1 (the alarm at 0 is before ts[0]: never taken), points 15, 25, 35 → TN 3.
    // anomaly: no prediction in [40, 41); the window takes the first at or after 40, the alarm at 50 (M§3):
    // TP, delay 50 − 40 = 10 s, x = (50 − 40)/(41 − 40) = 10 > 2 → σ = −1 (a detection that adds −1).
    // P = R = 1; nab = (−1 − 0 − 0 + 1)/(2 + 1e-8) = 0.
    const r = evaluate({
      t: sec([10, 20, 30, 40]),
      truth: [0, 0, 0, 1],
      tPred: sec([0, 15, 25, 35, 50]),
      pred: [1, 0, 0, 0, 1],
    });
    expect([r.counts.tpAnom, r.counts.fnAnom, r.counts.fp, r.counts.tn]).toEqual([1, 0, 0, 3]);
    expect(r.counts.tpScore).toBe(-1);
    expect(r.meanTimeToDetectSec).toBe(10);
    expect([r.precision, r.recall]).toEqual([1, 1]);
    expect(r.nab.standard).toBe(0);
  });

  it('F-β over a pair of score types takes precision from the first and recall from the second (M§6)', () => {
    // Example E1's counts: point-wise P = 1/2, R = 1/3; point-adjusted P = 3/4, R = 1; revised P = 1/2, R = 1.
    // (pointwise, revised): P = 1/2, R = 1 → F1 = 2·(1/2)/(3/2) = 2/3; F2 = 5·(1/2)/(4·(1/2) + 1) = 5/6.
    // (revised, pointwise): P = 1/2, R = 1/3 → F1 = 2·(1/6)/(5/6) = 2/5. (pointAdjusted, pointwise):
    // P = 3/4, R = 1/3 → F1 = 2·(1/4)/(13/12) = 6/13.
    const r = evaluate({
      t: grid(10),
      truth: [0, 0, 0, 1, 1, 1, 0, 0, 0, 0],
      pred: [0, 0, 0, 0, 1, 0, 0, 1, 0, 0],
    });
    expect(r.fBeta(1, ['pointwise', 'revised'])).toBeCloseTo(2 / 3, 15);
    expect(r.fBeta(2, ['pointwise', 'revised'])).toBeCloseTo(5 / 6, 15);
    expect(r.fBeta(1, ['revised', 'pointwise'])).toBeCloseTo(2 / 5, 15);
    expect(r.fBeta(1, ['pointAdjusted', 'pointwise'])).toBeCloseTo(6 / 13, 15);
  });

  it('duplicated or unsorted timestamps are refused, saying to sort and deduplicate (the reference needs them strictly increasing)', () => {
    for (const t of [sec([0, 10, 10, 20]), sec([0, 20, 10, 30])]) {
      const e = thrownBy(MetricsError, () => evaluate({ t, truth: [0, 1, 1, 0], pred: [0, 1, 0, 0] }));
      expect(e.code).toBe('unsorted_timestamps');
      expect(e.message).toMatch(/t\[2\] .*sort and deduplicate the series first/);
    }
  });
});

const MIN = 60_000;
const minutes = (n: number) => Float64Array.from({ length: n }, (_, i) => Date.UTC(2020, 0, 1) + i * MIN);

describe('NAB scorer: edge cases worked from the spec', () => {
  it('a window that starts in the probationary part scores from its first scorable row, at its position in the whole window', () => {
    // 20 rows, probation min(floor(0.15·20), 750) = 3 (N§3): rows 0–2 unscored. Window rows 1–6, width 6.
    // Row 1 scores 1.0 (probationary: ignored), row 4 scores 0.9, the rest 0.1.
    // N§5: row 4 in the window: pos = −(6 − 4 + 1)/6 = −0.5, scaledSigmoid(−0.5) = 2/(1 + e^−2.5) − 1 =
    // tanh(1.25) = 0.8482836399575129, S = that / maxTP = 0.8597925669097837 < tpWeight: a window cut by the
    // probation cannot earn the full 1. At θ = 0.9 nothing else is detected → raw 0.85979…; detecting every
    // row (θ = 0.1) adds 13 FPs after the window, so 0.9 is the optimum. The window has scorable rows, so
    // null = −1, perfect = 1 → 100·(0.85979… + 1)/2 = 92.98962834548919.
    const t = minutes(20);
    const scores = new Float64Array(20).fill(0.1);
    scores[1] = 1.0;
    scores[4] = 0.9;
    const s = nabScore({ 'c/a.csv': { t, windows: [[t[1], t[6]]] } }, { 'c/a.csv': scores });
    expect(s.threshold).toBe(0.9);
    expect(s.raw).toBeCloseTo(0.8597925669097837, 14);
    expect(s.normalized).toBeCloseTo(92.98962834548919, 11);
  });

  it('a window wholly in the probationary part leaves the null score but stays in the perfect one (N§12 quirk 9)', () => {
    // 20 rows, probation 3; windows rows 0–2 (all probationary) and 10–12. Row 10 scores 0.9, the rest 0.1.
    // Row 10: pos = −(12 − 10 + 1)/3 = −1 → S = maxTP/maxTP = 1. Rows 3–9 follow window 0 (prevR = 2,
    // prevWidth 3); at θ = 0.9 none of them is detected. raw = 1. N§9: null = −1 (one window with a scorable
    // row), perfect = 2 (both labelled windows) → 100·(1 + 1)/(2 + 1) = 66.666…: the best possible here.
    const t = minutes(20);
    const scores = new Float64Array(20).fill(0.1);
    scores[10] = 0.9;
    const s = nabScore(
      {
        'c/a.csv': {
          t,
          windows: [
            [t[0], t[2]],
            [t[10], t[12]],
          ],
        },
      },
      { 'c/a.csv': scores },
    );
    expect(s.threshold).toBe(0.9);
    expect(s.raw).toBe(1);
    expect(s.normalized).toBeCloseTo(200 / 3, 12);
  });

  it('windows that touch (the second starts the row after the first ends) are two windows, entered in turn', () => {
    // 30 rows, probation floor(4.5) = 4. Windows rows 10–13 and 14–17, width 4 each.
    // Row 13 (0.95): last row of window 0, pos = −(13 − 13 + 1)/4 = −0.25, scaledSigmoid(−0.25) = tanh(0.625)
    // = 0.5545997223493823, S = 0.5621241486044829. Row 14 (0.9): first row of window 1, pos −1 → S = 1.
    // Sweep (standard): 1.1 → −2; 0.95 → 0.56212… − 1 = −0.43788…; 0.9 → 0.56212… + 1 = 1.56212…;
    // 0.1 → more FPs, less. Optimum 0.9; null −2, perfect 2 → 100·(1.56212… + 2)/4 = 89.05310371511207.
    const t = minutes(30);
    const scores = new Float64Array(30).fill(0.1);
    scores[13] = 0.95;
    scores[14] = 0.9;
    const file = {
      t,
      windows: [
        [t[10], t[13]],
        [t[14], t[17]],
      ] as [number, number][],
    };
    const S = nabRowScores('c/a.csv', file, 'standard');
    expect(S[13]).toBeCloseTo(0.5621241486044829, 15);
    expect(S[14]).toBe(1);
    const at95 = nabScore({ 'c/a.csv': file }, { 'c/a.csv': scores }, { threshold: 0.95 });
    expect(at95.raw).toBeCloseTo(0.5621241486044829 - 1, 14);
    const s = nabScore({ 'c/a.csv': file }, { 'c/a.csv': scores });
    expect(s.threshold).toBe(0.9);
    expect(s.raw).toBeCloseTo(1 + 0.5621241486044829, 14);
    expect(s.normalized).toBeCloseTo(89.05310371511207, 11);
  });

  it('a score exactly at the threshold is a detection (score ≥ θ)', () => {
    // N§6: detections are rows with anomaly_score ≥ θ. Two windows-free rows are not needed: one window rows
    // 10–13 (20 rows, probation 3), row 11 scores exactly 0.7. At θ = 0.7 row 11 is detected: pos =
    // −(13 − 11 + 1)/4 = −0.75, scaledSigmoid(−0.75) = tanh(1.875) = 0.9541637…, S = 0.9671…; just above,
    // at θ = 0.7 + 1e-12, nothing is: raw −1.
    const t = minutes(20);
    const scores = new Float64Array(20).fill(0.1);
    scores[11] = 0.7;
    const file = { t, windows: [[t[10], t[13]]] as [number, number][] };
    const at = nabScore({ 'c/a.csv': file }, { 'c/a.csv': scores }, { threshold: 0.7 });
    expect(at.raw).toBeCloseTo(Math.tanh(1.875) / 0.9866142981514303, 14);
    expect(at.files[0].tp).toBe(1);
    const above = nabScore({ 'c/a.csv': file }, { 'c/a.csv': scores }, { threshold: 0.7 + 1e-12 });
    expect(above.raw).toBe(-1);
  });

  it('ties in the optimiser go to the highest threshold (N§7, quirk 6)', () => {
    // 20 rows, probation 3, window rows 10–13. Row 10 (0.9): S = 1 (pos −1). Row 12 (0.8), later in the same
    // window: only the first detection counts, so θ = 0.8 totals 1 as θ = 0.9 does (TP 2 rows against 1).
    // θ = 0.1 adds FPs and loses. Sorted by score descending, stable, the first of the tied entries is
    // θ = 0.9: the optimum, with one TP row.
    const t = minutes(20);
    const scores = new Float64Array(20).fill(0.1);
    scores[10] = 0.9;
    scores[12] = 0.8;
    const s = nabScore({ 'c/a.csv': { t, windows: [[t[10], t[13]]] } }, { 'c/a.csv': scores });
    expect(s.threshold).toBe(0.9);
    expect(s.raw).toBe(1);
    expect(s.tp).toBe(1);
    expect(
      nabScore({ 'c/a.csv': { t, windows: [[t[10], t[13]]] } }, { 'c/a.csv': scores }, { threshold: 0.8 })
        .raw,
    ).toBe(1);
  });

  it('an FP after a one-row window costs the full FP weight (the reference divides by zero there)', () => {
    // 20 rows, probation 3, window row 10 only (width 1). Row 10 (0.9): pos −1 → S = 1. Row 15 (0.95) is
    // after the window: N§5 divides |10 − 15| by width − 1 = 0; we take the position as +∞ → scaledSigmoid
    // −1 → S = −0.11 (docs/metrics.md, deviations). Sweep: 0.95 → −1 − 0.11; 0.9 → 1 − 0.11 = 0.89 (optimum).
    const t = minutes(20);
    const scores = new Float64Array(20).fill(0.1);
    scores[10] = 0.9;
    scores[15] = 0.95;
    const s = nabScore({ 'c/a.csv': { t, windows: [[t[10], t[10]]] } }, { 'c/a.csv': scores });
    expect(s.threshold).toBe(0.9);
    expect(s.raw).toBeCloseTo(0.89, 15);
  });

  it('a corpus without any window has no 0–100 score (NaN), though its raw score counts the FPs', () => {
    // N§9: null = −fnW·0 = 0 and perfect = 0 → 0/0. Raw at θ = 0.9: the one detection (row 5, before any
    // window) costs −fpW = −0.11 (N§5); nothing detected (θ = 1.1) is 0, the optimum.
    const t = minutes(20);
    const scores = new Float64Array(20).fill(0.1);
    scores[5] = 0.9;
    const at = nabScore({ 'c/a.csv': { t, windows: [] } }, { 'c/a.csv': scores }, { threshold: 0.9 });
    expect(at.raw).toBeCloseTo(-0.11, 15);
    expect(at.normalized).toBeNaN();
    const best = nabScore({ 'c/a.csv': { t, windows: [] } }, { 'c/a.csv': scores });
    expect(best.raw).toBe(0);
  });

  it('overlapping or out-of-order windows are refused, saying that windows must be sorted and must not overlap', () => {
    // NAB's label windows are sorted and non-overlapping (N§1); its scorer would enter the second window
    // inside the first. Refused, naming the file, the windows and what to do.
    const t = minutes(30);
    const scores = new Float64Array(30);
    for (const [windows, what] of [
      [
        [
          [t[10], t[15]],
          [t[13], t[18]],
        ],
        /c\/a\.csv: window 1 starts at row 13 .* at or before window 0 ends at row 15/,
      ],
      [
        [
          [t[20], t[25]],
          [t[10], t[15]],
        ],
        /c\/a\.csv: window 1 starts at row 10 .* at or before window 0 ends at row 25/,
      ],
    ] as const) {
      const e = thrownBy(MetricsError, () =>
        nabScore({ 'c/a.csv': { t, windows: windows as never } }, { 'c/a.csv': scores }),
      );
      expect(e.code).toBe('bad_window');
      expect(e.message).toMatch(what);
      expect(e.message).toMatch(/sort the windows and merge overlapping ones/);
    }
  });
});

describe("NAB's window builder (N§2 steps 5–7) on hand-made rows", () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => i); // timestamps = row numbers
  it('window length floor(0.10·n/k), half-width by floor division, clipped to the file', () => {
    // n = 100, k = 1: length 10, half 5 → rows [45, 55]. n = 110: length 11, half floor(5.5) = 5 → [45, 55]
    // (Python-2 floor division: 11 rows, not a fractional row).
    expect(nabWindowsFromAnomalies(rows(100), [50])).toEqual([[45, 55]]);
    expect(nabWindowsFromAnomalies(rows(110), [50])).toEqual([[45, 55]]);
  });

  it('only the first window is checked against the probationary period (quirk 2)', () => {
    // n = 100, k = 3: length floor(10/3) = 3, half 1 → [9, 11], [11, 13], [79, 81]; probation
    // min(floor(15), 750) = 15: the first starts at row 9 < 15 and is dropped; the second also starts before
    // row 15 but is not checked. Then [11, 13] and [79, 81] do not overlap.
    expect(nabWindowsFromAnomalies(rows(100), [10, 12, 80])).toEqual([
      [11, 13],
      [79, 81],
    ]);
    // k = 2 at rows 2 and 98: length 5, half 2 → [0, 4] (clipped) dropped, [96, 99] (clipped to n − 1)
    expect(nabWindowsFromAnomalies(rows(100), [2, 98])).toEqual([[96, 99]]);
  });

  it('a chain of three overlapping windows is not fully merged (quirk 2), and the scorer refuses the result', () => {
    // anomalies 50, 51, 52: [49, 51], [50, 52], [51, 53]. i = 0: window 1 starts at 50 ≤ 51 → [49, 52];
    // i = 1: there is no window 2 any more → stop. Result [49, 52], [51, 53]: still overlapping.
    const t = rows(100);
    const w = nabWindowsFromAnomalies(t, [50, 51, 52]);
    expect(w).toEqual([
      [49, 52],
      [51, 53],
    ]);
    const e = thrownBy(MetricsError, () =>
      nabScore({ 'c/a.csv': { t, windows: w } }, { 'c/a.csv': new Float64Array(100) }),
    );
    expect(e.message).toMatch(/window 1 starts at row 51 .*sort the windows and merge overlapping ones/);
  });
});

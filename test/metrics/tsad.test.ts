import { describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/index.js';
import {
  accumulateTsad,
  addTsadCounts,
  type EvaluateInput,
  ensembleMetric,
  evaluate,
  merlionSigmoid,
  reportMetric,
  type TsadReport,
  tsadReport,
} from '../../src/metrics/index.js';

/** Seconds → epoch ms (the examples are written in seconds, as Merlion works in seconds). */
const sec = (xs: number[]) => Float64Array.from(xs, (x) => x * 1000);
const grid = (n: number, step = 10) => sec(Array.from({ length: n }, (_, i) => i * step));

interface Expected {
  tpAnom: number;
  fnAnom: number;
  tpPointwise: number;
  fnPointwise: number;
  tpPointAdjusted: number;
  fnPointAdjusted: number;
  fp: number;
  tn: number;
  tpScore: number;
  fpScore: number;
}

function expectCounts(r: TsadReport, e: Expected): void {
  const c = r.counts;
  expect(c.tpAnom).toBe(e.tpAnom);
  expect(c.fnAnom).toBe(e.fnAnom);
  expect(c.tpPointwise).toBe(e.tpPointwise);
  expect(c.fnPointwise).toBe(e.fnPointwise);
  expect(c.tpPointAdjusted).toBe(e.tpPointAdjusted);
  expect(c.fnPointAdjusted).toBe(e.fnPointAdjusted);
  expect(c.fp).toBe(e.fp);
  expect(c.tn).toBe(e.tn);
  expect(c.tpScore).toBeCloseTo(e.tpScore, 14);
  expect(c.fpScore).toBeCloseTo(e.fpScore, 14);
}

function expectNab(r: TsadReport, nab: number, fn: number, fp: number): void {
  expect(r.nab.standard).toBeCloseTo(nab, 12);
  expect(r.nab.reward_low_FN_rate).toBeCloseTo(fn, 12);
  expect(r.nab.reward_low_FP_rate).toBeCloseTo(fp, 12);
}

// Worked examples E1–E9: outputs of Merlion 2.0's accumulate_tsad_score on these inputs, re-derived by
// hand; the counting rules are in docs/metrics.md, "Merlion's TSAD metrics".
describe('Merlion TSAD metrics: worked examples E1–E9', () => {
  it('scaled sigmoid values used by the examples', () => {
    expect(merlionSigmoid(1 / 3)).toBeCloseTo(0.9437422611978674, 15);
    expect(merlionSigmoid(10 / 31)).toBeCloseTo(0.9472776459831521, 15);
    expect(merlionSigmoid(0)).toBe(1);
    expect(merlionSigmoid(1)).toBeCloseTo(0, 15);
    expect(merlionSigmoid(2)).toBeCloseTo(-1, 15);
    expect(merlionSigmoid(Number.POSITIVE_INFINITY)).toBe(-1);
  });

  it('E1 basic', () => {
    const r = evaluate({
      t: grid(10),
      truth: [0, 0, 0, 1, 1, 1, 0, 0, 0, 0],
      pred: [0, 0, 0, 0, 1, 0, 0, 1, 0, 0],
    });
    expectCounts(r, {
      tpAnom: 1,
      fnAnom: 0,
      tpPointwise: 1,
      fnPointwise: 2,
      tpPointAdjusted: 3,
      fnPointAdjusted: 0,
      fp: 1,
      tn: 6,
      tpScore: 0.9437422611978674,
      fpScore: 0.9472776459831521,
    });
    expect(r.pointwise.precision).toBeCloseTo(0.5, 12);
    expect(r.pointwise.recall).toBeCloseTo(1 / 3, 12);
    expect(r.pointwise.f1).toBeCloseTo(0.4, 12);
    expect(r.pointAdjusted.precision).toBeCloseTo(0.75, 12);
    expect(r.pointAdjusted.recall).toBe(1);
    expect(r.pointAdjusted.f1).toBeCloseTo(0.857142857, 9);
    expect(r.precision).toBe(0.5);
    expect(r.recall).toBe(1);
    expect(r.f1).toBeCloseTo(0.666666667, 9);
    expect(r.fBeta(2)).toBeCloseTo(0.833333333, 9);
    expect(r.fBeta(5)).toBeCloseTo(0.962962963, 9);
    expect(r.meanTimeToDetectSec).toBe(10);
    expect(r.meanDetectedAnomalyDurationSec).toBe(30);
    expect(r.meanAnomalyDurationSec).toBe(30);
    expectNab(r, 0.9197708554710061, 0.946513903558194, 0.8676705852024341);
  });

  it('E2 two anomalies, both missed, FPs around them', () => {
    const r = evaluate({
      t: grid(12),
      truth: [0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0],
      pred: [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
    });
    expectCounts(r, {
      tpAnom: 0,
      fnAnom: 2,
      tpPointwise: 0,
      fnPointwise: 5,
      tpPointAdjusted: 0,
      fnPointAdjusted: 5,
      fp: 3,
      tn: 4,
      tpScore: 0,
      fpScore: 2.226470286547609,
    });
    for (const type of ['revised', 'pointAdjusted', 'pointwise'] as const) {
      expect(r[type]).toEqual({ precision: 0, recall: 0, f1: 0 });
      expect(r.fBeta(2, type)).toBe(0);
    }
    expect(r.meanTimeToDetectSec).toBe(0);
    expect(r.meanDetectedAnomalyDurationSec).toBe(0);
    expect(r.meanAnomalyDurationSec).toBe(25);
    expect(r.counts.anomDurationsSec).toEqual([20, 30]);
    expectNab(r, -0.061227932726989405, -0.040818621852008526, -0.12245586545397881);
  });

  it('E3 early buffer (E = 20): negative delay, last normal segment cut short', () => {
    const r = evaluate({
      t: grid(10),
      truth: [0, 0, 0, 0, 0, 1, 1, 0, 0, 0],
      pred: [0, 0, 0, 1, 0, 0, 0, 0, 0, 1],
      maxEarlySec: 20,
    });
    expectCounts(r, {
      tpAnom: 1,
      fnAnom: 0,
      tpPointwise: 1,
      fnPointwise: 3,
      tpPointAdjusted: 4,
      fnPointAdjusted: 0,
      fp: 0,
      tn: 4,
      tpScore: 1,
      fpScore: 0,
    });
    expect(r.pointwise.precision).toBe(1);
    expect(r.pointwise.recall).toBe(0.25);
    expect(r.pointwise.f1).toBeCloseTo(0.4, 12);
    expect(r.pointAdjusted).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(r.revised).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(r.meanTimeToDetectSec).toBe(-20);
    expect(r.meanDetectedAnomalyDurationSec).toBe(20);
    expect(r.meanAnomalyDurationSec).toBe(20);
    expectNab(r, 0.999999995, 0.9999999966666667, 0.999999995);
  });

  it('E4 delay limit (D = 15): an alarm after the limit is a false positive', () => {
    const r = evaluate({
      t: grid(10),
      truth: [0, 0, 1, 1, 1, 1, 1, 0, 0, 0],
      pred: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
      maxDelaySec: 15,
    });
    expectCounts(r, {
      tpAnom: 0,
      fnAnom: 1,
      tpPointwise: 0,
      fnPointwise: 2,
      tpPointAdjusted: 0,
      fnPointAdjusted: 2,
      fp: 1,
      tn: 7,
      tpScore: 0,
      fpScore: 0.992444940273012,
    });
    expect(r.revised).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(r.pointAdjusted).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(r.pointwise).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(r.meanTimeToDetectSec).toBe(0);
    expect(r.meanAnomalyDurationSec).toBe(50);
    expectNab(r, -0.05458447144209332, -0.03638964768871163, -0.10916894288418665);
  });

  it('E5 final anomaly: +1 second and D ignored (D = 10)', () => {
    const r = evaluate({
      t: grid(6),
      truth: [0, 0, 0, 1, 1, 1],
      pred: [0, 0, 0, 0, 0, 2.5],
      maxDelaySec: 10,
    });
    expectCounts(r, {
      tpAnom: 1,
      fnAnom: 0,
      tpPointwise: 1,
      fnPointwise: 2,
      tpPointAdjusted: 3,
      fnPointAdjusted: 0,
      fp: 0,
      tn: 3,
      tpScore: 0.12009596353062334,
      fpScore: 0,
    });
    expect(r.pointwise.precision).toBe(1);
    expect(r.pointwise.recall).toBeCloseTo(1 / 3, 12);
    expect(r.pointwise.f1).toBeCloseTo(0.5, 12);
    expect(r.pointAdjusted).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(r.revised).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(r.meanTimeToDetectSec).toBe(20);
    expect(r.meanDetectedAnomalyDurationSec).toBe(21);
    expect(r.meanAnomalyDurationSec).toBe(21);
    expectNab(r, 0.5600479789650717, 0.7066986521545456, 0.5600479789650717);
  });

  it('E6 prediction grid differs from the truth grid: a borrowed point counts twice', () => {
    const r = evaluate({
      t: grid(8),
      truth: [0, 0, 1, 1, 0, 0, 0, 0],
      tPred: sec([5, 15, 45, 75]),
      pred: [0, 0, 1, 0],
    });
    expectCounts(r, {
      tpAnom: 1,
      fnAnom: 0,
      tpPointwise: 1,
      fnPointwise: 0,
      tpPointAdjusted: 1,
      fnPointAdjusted: 0,
      fp: 1,
      tn: 2,
      tpScore: -0.5621241486044829,
      fpScore: 0.9834273971395896,
    });
    for (const type of ['revised', 'pointAdjusted', 'pointwise'] as const) {
      expect(r[type].precision).toBe(0.5);
      expect(r[type].recall).toBe(1);
      expect(r[type].f1).toBeCloseTo(0.6667, 4);
    }
    expect(r.fBeta(2)).toBeCloseTo(0.8333, 4);
    expect(r.fBeta(5)).toBeCloseTo(0.96296, 5);
    expect(r.meanTimeToDetectSec).toBe(25);
    expect(r.meanDetectedAnomalyDurationSec).toBe(20);
    expect(r.meanAnomalyDurationSec).toBe(20);
    expectNab(r, 0.16484941803083406, 0.44323294442594424, 0.11076091145859912);
  });

  it('E7 no true anomalies: NaN by default, the reference explosion on request', () => {
    const input: EvaluateInput = { t: grid(5), truth: [0, 0, 0, 0, 0], pred: [0, 1, 0, 0, 0] };
    const r = evaluate(input);
    expectCounts(r, {
      tpAnom: 0,
      fnAnom: 0,
      tpPointwise: 0,
      fnPointwise: 0,
      tpPointAdjusted: 0,
      fnPointAdjusted: 0,
      fp: 1,
      tn: 4,
      tpScore: 0,
      fpScore: 0.9683565329388648,
    });
    expect(r.revised).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(r.meanTimeToDetectSec).toBe(0);
    expect(r.meanAnomalyDurationSec).toBe(0);
    expect(r.nab.standard).toBeNaN();
    const ref = evaluate({ ...input, nabWithoutAnomalies: 'reference' });
    expect(ref.nab.standard).toBeCloseTo(-10651921.862327512, 6);
    expect(ref.nab.reward_low_FN_rate).toBeCloseTo(-10651921.862327512, 6);
    expect(ref.nab.reward_low_FP_rate).toBeCloseTo(-21303843.724655025, 6);
  });

  it('E8 non-binary and NaN scores are detections', () => {
    const r = evaluate({ t: grid(6), truth: [0, 0, 1, 1, 0, 0], pred: [0, -0.3, 0, 0, Number.NaN, 0] });
    expectCounts(r, {
      tpAnom: 0,
      fnAnom: 1,
      tpPointwise: 0,
      fnPointwise: 2,
      tpPointAdjusted: 0,
      fnPointAdjusted: 2,
      fp: 2,
      tn: 2,
      tpScore: 0,
      fpScore: 1.8597925669097837,
    });
    expect(r.revised).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(r.meanAnomalyDurationSec).toBe(20);
    expectNab(r, -0.10228859066859514, -0.06819239389271749, -0.20457718133719027);
  });

  it('E9 zero-length windows (E = 30): FP worth −1, points counted twice', () => {
    const r = evaluate({
      t: grid(10),
      truth: [0, 1, 1, 0, 0, 1, 1, 0, 0, 0],
      pred: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
      maxEarlySec: 30,
    });
    expectCounts(r, {
      tpAnom: 1,
      fnAnom: 1,
      tpPointwise: 1,
      fnPointwise: 6,
      tpPointAdjusted: 4,
      fnPointAdjusted: 3,
      fp: 1,
      tn: 2,
      tpScore: 1,
      fpScore: -1,
    });
    expect(r.counts.tpDetectionDelaysSec).toEqual([-20]);
    expect(r.counts.anomDurationsSec).toEqual([20, 20]);
    expect(r.pointwise.precision).toBe(0.5);
    expect(r.pointwise.recall).toBeCloseTo(0.142857, 6);
    expect(r.pointAdjusted.precision).toBeCloseTo(0.8, 12);
    expect(r.pointAdjusted.recall).toBeCloseTo(0.571429, 6);
    expect(r.revised).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(r.meanTimeToDetectSec).toBe(-20);
    expect(r.nab.standard).toBeCloseTo(0.5275, 8);
  });
});

describe('evaluate: inputs and options', () => {
  it('truth as inclusive windows equals truth as labels', () => {
    const t = grid(12);
    const labels = [0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0];
    const pred = [1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1];
    const a = evaluate({ t, truth: labels, pred, maxEarlySec: 15 });
    const b = evaluate({
      t,
      truth: [
        [10_000, 20_000],
        [65_000, 95_000],
      ],
      pred,
      maxEarlySec: 15,
    });
    expect(b.counts).toEqual(a.counts);
  });

  it('windows that touch or overlap merge; unsorted windows are sorted; empty windows dropped', () => {
    const t = grid(12);
    const pred = new Float64Array(12);
    pred[4] = 1;
    const a = evaluate({ t, truth: [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0], pred });
    const b = evaluate({
      t,
      truth: [
        [101_000, 102_000],
        [40_000, 50_000],
        [20_000, 30_000],
      ],
      pred,
    });
    expect(b.counts).toEqual(a.counts);
    const none = evaluate({ t, truth: [], pred });
    expect(none.counts.tpAnom + none.counts.fnAnom).toBe(0);
    expect(none.counts.fp).toBe(1);
  });

  it('D = 0 and negative buffers behave like no buffer (reference quirk 5)', () => {
    const base = { t: grid(10), truth: [0, 0, 1, 1, 1, 1, 1, 0, 0, 0], pred: [0, 0, 0, 0, 1, 0, 0, 1, 0, 0] };
    const none = evaluate(base).counts;
    expect(evaluate({ ...base, maxDelaySec: 0 }).counts).toEqual(none);
    expect(evaluate({ ...base, maxEarlySec: -5, maxDelaySec: null }).counts).toEqual(none);
  });

  it('accumulators add up (micro-average over series)', () => {
    const a = accumulateTsad({
      t: grid(10),
      truth: [0, 0, 0, 1, 1, 1, 0, 0, 0, 0],
      pred: [0, 0, 0, 0, 1, 0, 0, 1, 0, 0],
    });
    const b = accumulateTsad({ t: grid(5), truth: [0, 1, 1, 0, 0], pred: [0, 0, 0, 0, 1] });
    const sum = addTsadCounts(a, b);
    expect(sum.tpAnom).toBe(1);
    expect(sum.fnAnom).toBe(1);
    expect(sum.fp).toBe(2);
    expect(sum.anomDurationsSec).toEqual([30, 20]);
    const r = tsadReport(sum);
    expect(r.recall).toBe(0.5);
    expect(r.precision).toBeCloseTo(1 / 3, 15);
  });

  it('MTTD truncates toward zero', () => {
    // two detections with delays 10 and 11 s → mean 10.5 → 10
    const r = evaluate({
      t: sec([0, 10, 20, 31, 40, 51, 60, 71]),
      truth: [0, 1, 1, 0, 1, 1, 1, 0],
      pred: [0, 0, 1, 0, 0, 1, 1, 0],
    });
    expect(r.counts.tpDetectionDelaysSec).toEqual([10, 11]);
    expect(r.meanTimeToDetectSec).toBe(10);
    const early = evaluate({
      t: sec([0, 10, 20, 30, 40, 50, 60, 70, 80]),
      truth: [0, 0, 0, 1, 1, 0, 0, 1, 0],
      pred: [0, 0, 1, 0, 0, 0, 1, 0, 0],
      maxEarlySec: 25,
    });
    expect(early.counts.tpDetectionDelaysSec).toEqual([-10, -10]);
    expect(early.meanTimeToDetectSec).toBe(-10);
    // mean −10.5 s truncates to −10 (toward zero), not −11
    const half = evaluate({
      t: sec([0, 10, 20, 30, 40, 50, 59, 70, 80]),
      truth: [0, 0, 0, 1, 1, 0, 0, 1, 0],
      pred: [0, 0, 1, 0, 0, 0, 1, 0, 0],
      maxEarlySec: 25,
    });
    expect(half.counts.tpDetectionDelaysSec).toEqual([-10, -11]);
    expect(half.meanTimeToDetectSec).toBe(-10);
  });

  it('accepts plain arrays, typed arrays and the default prediction grid', () => {
    const r1 = evaluate({
      t: [0, 1000, 2000],
      truth: new Uint8Array([0, 1, 0]),
      pred: new Int8Array([0, 1, 0]),
    });
    expect(r1.f1).toBe(1);
  });

  it('throws MetricsError on bad input, saying what to fix', () => {
    const t = grid(3);
    const bad = (input: unknown) => () => evaluate(input as EvaluateInput);
    expect(bad({ t: [], truth: [], pred: [] })).toThrow(MetricsError);
    expect(bad({ t, truth: [0, 1], pred: [0, 0, 0] })).toThrow(/one label per timestamp/);
    expect(bad({ t, truth: [0, 1, 0], pred: [0, 0] })).toThrow(/one prediction per timestamp/);
    expect(bad({ t: [0, 2000, 1000], truth: [0, 1, 0], pred: [0, 0, 0] })).toThrow(/strictly increasing/);
    expect(bad({ t: [0, 0, 1000], truth: [0, 1, 0], pred: [0, 0, 0] })).toThrow(/strictly increasing/);
    expect(bad({ t: [0, Number.NaN, 1000], truth: [0, 1, 0], pred: [0, 0, 0] })).toThrow(/finite/);
    expect(bad({ t, truth: [0, Number.NaN, 0], pred: [0, 0, 0] })).toThrow(/NaN is not a label/);
    expect(bad({ t, tPred: [5, 1], truth: [0, 1, 0], pred: [0, 0] })).toThrow(/tPred/);
    expect(bad({ t, truth: [[5, 1]], pred: [0, 0, 0] })).toThrow(
      /truth\[0\]: its end .* is before its start/,
    );
    expect(bad({ t, truth: [0, 1, 0], pred: [0, 0, 0], maxEarlySec: Number.NaN })).toThrow(/maxEarlySec/);
    const r = evaluate({ t, truth: [0, 1, 0], pred: [0, 1, 0] });
    expect(() => r.fBeta(0)).toThrow(MetricsError);
    expect(() => r.fBeta(1, 'nope' as 'revised')).toThrow(/score type/);
    try {
      bad({ t, truth: [0, 1], pred: [0, 0, 0] })();
    } catch (e) {
      expect((e as MetricsError).code).toBe('length_mismatch');
    }
  });
});

describe("evaluate: truth windows get the lifecycle functions' label check (fix31)", () => {
  it('a window that is not [start, end] of finite epoch ms, start ≤ end, is MetricsError bad_window naming truth[k]', () => {
    // before: an Infinity end marked every later point anomalous silently, and a { start, end } object as
    // the first window read the list as 0/1 labels (length_mismatch 'truth has 2 labels but t has 20')
    const t = grid(20);
    const pred = new Float64Array(20);
    const good: [number, number] = [t[2], t[4]];
    for (const [badWindow, what] of [
      [[t[10], Number.NaN], /^truth\[1\]: expected \[start, end\] .*got \[\d+,NaN\]/],
      [[t[10], Number.POSITIVE_INFINITY], /^truth\[1\]: expected \[start, end\] .*got \[\d+,Infinity\]/],
      [{ start: t[10], end: t[12] }, /^truth\[1\]: expected \[start, end\] .*got an object/],
      // fix41: a non-finite number inside an object by name, not as JSON's null
      [
        { start: t[10], end: Number.NaN },
        /^truth\[1\]: expected \[start, end\] .*got an object \{"start":\d+,"end":NaN\};/,
      ],
      [[t[12], t[10]], /^truth\[1\]: its end .* is before its start/],
      [
        ['1970-01-01T00:01:40Z', '1970-01-01T00:02:00Z'],
        /^truth\[1\]: expected \[start, end\] .*got \["1970/,
      ],
    ] as const) {
      for (const truth of [
        [good, badWindow],
        [badWindow, good],
      ]) {
        let err: unknown;
        try {
          evaluate({ t, truth: truth as never, pred });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(MetricsError);
        expect((err as MetricsError).code).toBe('bad_window');
        expect((err as Error).message).toMatch(
          truth[0] === good ? what : new RegExp(what.source.replace('truth\\[1\\]', 'truth\\[0\\]')),
        );
        expect((err as Error).message).toMatch(/pass each window as \[start, end\] in epoch ms/);
      }
    }
  });
});

describe('meanTimeToDetect as a selection metric', () => {
  const t = Float64Array.from({ length: 10 }, (_, i) => i * 60_000);
  const truth = Float64Array.from({ length: 10 }, (_, i) => (i >= 4 && i <= 6 ? 1 : 0));
  it('is +Infinity when nothing was detected (the report keeps Merlion’s 0), the delay otherwise', () => {
    const missed = evaluate({ t, truth, pred: new Float64Array(10) });
    expect(missed.meanTimeToDetectSec).toBe(0);
    expect(reportMetric(missed, 'meanTimeToDetect')).toBe(Number.POSITIVE_INFINITY);
    const late = evaluate({ t, truth, pred: Float64Array.from({ length: 10 }, (_, i) => (i === 5 ? 1 : 0)) });
    expect(reportMetric(late, 'meanTimeToDetect')).toBe(60);
    const silent = { t, v: new Float64Array(10) };
    expect(ensembleMetric('meanTimeToDetect', { t, v: truth }, silent)).toBe(Number.POSITIVE_INFINITY);
  });
});

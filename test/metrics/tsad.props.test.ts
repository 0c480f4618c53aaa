import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EvaluateInput,
  evaluate,
  NAB_PROFILE_NAMES,
  type NabCorpusFile,
  nabProbationaryLength,
  nabScore,
  type ScoreType,
  type TsadReport,
} from '../../src/metrics/index.js';
import type { Window } from '../../src/series/index.js';

const TYPES: readonly ScoreType[] = ['revised', 'pointAdjusted', 'pointwise'];

/** Strictly increasing whole-second timestamps (epoch ms) starting at `startSec`. */
const timesArb = (n: number) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: 2_000_000_000 }),
      fc.array(fc.integer({ min: 1, max: 600 }), { minLength: n, maxLength: n }),
    )
    .map(([start, steps]) => {
      const t = new Float64Array(n);
      let s = start;
      for (let i = 0; i < n; i++) {
        t[i] = s * 1000;
        s += steps[i];
      }
      return t;
    });

/** Labels with runs (anomalies are contiguous stretches). */
const labelsArb = (n: number) =>
  fc
    .array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 8 })), { minLength: 1, maxLength: n })
    .map((runs) => {
      const y = new Float64Array(n);
      let i = 0;
      let r = 0;
      while (i < n) {
        const [on, len] = runs[r % runs.length];
        for (let k = 0; k < len && i < n; k++, i++) y[i] = on ? 1 : 0;
        r++;
      }
      return y;
    });

const predArb = (n: number) =>
  fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.constant(1), fc.double({ noNaN: false })), {
    minLength: n,
    maxLength: n,
  });

const bufferArb = fc.option(fc.integer({ min: -10, max: 400 }), { nil: undefined });

/** Same-grid case: t, truth labels, predictions. */
const sameGridArb = fc
  .integer({ min: 1, max: 60 })
  .chain((n) => fc.record({ t: timesArb(n), truth: labelsArb(n), pred: predArb(n) }));

/** General case: separate prediction grid and early/delay buffers. */
const generalArb = fc
  .tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }))
  .chain(([n, m]) =>
    fc.record({
      t: timesArb(n),
      truth: labelsArb(n),
      tPred: fc.option(timesArb(m), { nil: undefined }),
      predM: predArb(m),
      predN: predArb(n),
      maxEarlySec: bufferArb,
      maxDelaySec: bufferArb,
    }),
  )
  .map(
    (g): EvaluateInput => ({
      t: g.t,
      truth: g.truth,
      tPred: g.tPred,
      pred: g.tPred ? g.predM : g.predN,
      maxEarlySec: g.maxEarlySec,
      maxDelaySec: g.maxDelaySec,
    }),
  );

function allRatios(r: TsadReport): number[] {
  const out: number[] = [];
  for (const type of TYPES) {
    out.push(r[type].precision, r[type].recall, r[type].f1, r.fBeta(2, type), r.fBeta(0.5, type));
  }
  out.push(r.fBeta(1, ['pointwise', 'revised']));
  return out;
}

describe('TSAD metric properties (fast-check)', () => {
  it('every ratio is in [0, 1]', () => {
    fc.assert(
      fc.property(generalArb, (input) => {
        for (const x of allRatios(evaluate(input))) expect(x >= 0 && x <= 1).toBe(true);
      }),
    );
  });

  it('a prediction equal to the truth gives P = R = F1 = 1 for every score type', () => {
    fc.assert(
      fc.property(
        sameGridArb.filter((s) => s.truth.some((y) => y !== 0)),
        ({ t, truth }) => {
          const r = evaluate({ t, truth, pred: truth });
          for (const type of TYPES) expect(r[type]).toEqual({ precision: 1, recall: 1, f1: 1 });
        },
      ),
    );
  });

  it('no alarms gives recall 0 and precision 0', () => {
    fc.assert(
      fc.property(generalArb, (input) => {
        const r = evaluate({ ...input, pred: new Float64Array(input.pred.length) });
        for (const type of TYPES) {
          expect(r[type].precision).toBe(0);
          expect(r[type].recall).toBe(0);
        }
      }),
    );
  });

  it('F1 is the harmonic mean of precision and recall', () => {
    fc.assert(
      fc.property(generalArb, (input) => {
        const r = evaluate(input);
        for (const type of TYPES) {
          const { precision: p, recall: q, f1 } = r[type];
          if (p === 0 || q === 0) expect(f1).toBe(0);
          else expect(f1).toBeCloseTo(2 / (1 / p + 1 / q), 12);
          expect(r.fBeta(1, type)).toBe(f1);
        }
      }),
    );
  });

  it('shifting every timestamp by the same constant changes nothing', () => {
    fc.assert(
      fc.property(generalArb, fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), (input, shiftSec) => {
        const shift = (a: ArrayLike<number>) => Float64Array.from(a, (x) => x + shiftSec * 1000);
        const moved = { ...input, t: shift(input.t), tPred: input.tPred ? shift(input.tPred) : undefined };
        const a = evaluate(input);
        const b = evaluate(moved);
        expect(b.counts).toEqual(a.counts);
        expect(allRatios(b)).toEqual(allRatios(a));
        expect(b.meanTimeToDetectSec).toBe(a.meanTimeToDetectSec);
        expect(b.nab).toEqual(a.nab);
      }),
    );
  });

  it('adding an alarm inside an undetected anomaly never lowers revised recall', () => {
    fc.assert(
      fc.property(generalArb, fc.nat(), (input, pick) => {
        const truth = input.truth as Float64Array;
        const inside: number[] = [];
        for (let i = 0; i < truth.length; i++) if (truth[i] !== 0) inside.push(i);
        fc.pre(inside.length > 0);
        // alarm at a truth timestamp inside an anomaly: put it on the prediction grid
        const at = input.t[inside[pick % inside.length]];
        const tp = Array.from(input.tPred ?? input.t);
        const pred = Array.from(input.pred);
        const j = tp.indexOf(at);
        if (j >= 0) pred[j] = 1;
        else {
          const k = tp.findIndex((x) => x > at);
          const pos = k < 0 ? tp.length : k;
          tp.splice(pos, 0, at);
          pred.splice(pos, 0, 1);
        }
        const before = evaluate({ ...input, tPred: input.tPred ?? input.t });
        const after = evaluate({ ...input, tPred: tp, pred });
        expect(after.recall).toBeGreaterThanOrEqual(before.recall);
      }),
    );
  });

  it('adding an alarm outside every anomaly window never raises precision', () => {
    fc.assert(
      fc.property(sameGridArb, fc.nat(), ({ t, truth, pred }, pick) => {
        const free: number[] = [];
        for (let i = 0; i < truth.length; i++) if (truth[i] === 0 && pred[i] === 0) free.push(i);
        fc.pre(free.length > 0);
        const more = pred.slice();
        more[free[pick % free.length]] = 1;
        const a = evaluate({ t, truth, pred });
        const b = evaluate({ t, truth, pred: more });
        for (const type of TYPES) expect(b[type].precision).toBeLessThanOrEqual(a[type].precision);
      }),
    );
  });

  it('point-wise recall ≤ point-adjusted recall', () => {
    fc.assert(
      fc.property(generalArb, (input) => {
        const r = evaluate(input);
        expect(r.pointwise.recall).toBeLessThanOrEqual(r.pointAdjusted.recall);
      }),
    );
  });

  it('MTTD is the truncated mean of the first-alarm delays', () => {
    fc.assert(
      fc.property(sameGridArb, ({ t, truth, pred }) => {
        const delays: number[] = [];
        for (let i = 0; i < truth.length; ) {
          if (truth[i] === 0) {
            i++;
            continue;
          }
          let j = i;
          let first = -1;
          while (j < truth.length && truth[j] !== 0) {
            if (first < 0 && pred[j] !== 0) first = j;
            j++;
          }
          if (first >= 0) delays.push((t[first] - t[i]) / 1000);
          i = j;
        }
        const mean = delays.length ? delays.reduce((s, d) => s + d, 0) / delays.length : 0;
        const r = evaluate({ t, truth, pred });
        expect(r.counts.tpDetectionDelaysSec).toEqual(delays);
        expect(r.meanTimeToDetectSec).toBe(Math.trunc(mean));
      }),
    );
  });

  it('windows and the equivalent 0/1 labels give the same counts', () => {
    fc.assert(
      fc.property(generalArb, (input) => {
        const y = input.truth as Float64Array;
        const t = input.t;
        const windows: Window[] = [];
        for (let i = 0; i < y.length; i++) {
          if (y[i] !== 0 && (i === 0 || y[i - 1] === 0)) windows.push([t[i], t[i]]);
          if (y[i] !== 0) windows[windows.length - 1] = [windows[windows.length - 1][0], t[i]];
        }
        expect(evaluate({ ...input, truth: windows }).counts).toEqual(evaluate(input).counts);
      }),
    );
  });
});

/** A NAB corpus of 1–3 files with windows after the probationary period. */
const nabCorpusArb = fc
  .array(
    fc.integer({ min: 40, max: 400 }).chain((n) => {
      const p = nabProbationaryLength(n);
      return fc
        .array(fc.tuple(fc.integer({ min: 0, max: n }), fc.integer({ min: 2, max: 12 })), { maxLength: 4 })
        .map((ws) => {
          const t = Float64Array.from({ length: n }, (_, i) => Date.UTC(2021, 0, 1) + i * 300_000);
          const rows: [number, number][] = [];
          let next = p;
          for (const [off, width] of ws.sort((a, b) => a[0] - b[0])) {
            const lo = Math.max(next, p + (off % Math.max(1, n - p)));
            const hi = lo + width - 1;
            if (hi >= n) break;
            rows.push([lo, hi]);
            next = hi + 2;
          }
          const file: NabCorpusFile = { t, windows: rows.map(([a, b]) => [t[a], t[b]] as const) };
          return { file, rows };
        });
    }),
    { minLength: 1, maxLength: 3 },
  )
  .filter((files) => files.some((f) => f.rows.length > 0));

describe('NAB scorer properties (fast-check)', () => {
  it('the null detector scores 0 and the perfect detector 100', () => {
    fc.assert(
      fc.property(nabCorpusArb, (files) => {
        const corpus: Record<string, NabCorpusFile> = {};
        const perfect: Record<string, Float64Array> = {};
        const nul: Record<string, Float64Array> = {};
        files.forEach(({ file, rows }, k) => {
          const key = `c/f${k}.csv`;
          corpus[key] = file;
          const s = new Float64Array(file.t.length);
          for (const [lo] of rows) s[lo] = 1;
          perfect[key] = s;
          nul[key] = new Float64Array(file.t.length).fill(0.5);
        });
        for (const profile of NAB_PROFILE_NAMES) {
          // NAB's null detector: 0.5 everywhere, stored threshold 0.625 (detects nothing)
          expect(nabScore(corpus, nul, { profile, threshold: 0.6250000000000001 }).normalized).toBe(0);
          const best = nabScore(corpus, perfect, { profile });
          expect(best.threshold).toBe(1);
          expect(best.normalized).toBe(100);
        }
      }),
      { numRuns: 50 },
    );
  });
});

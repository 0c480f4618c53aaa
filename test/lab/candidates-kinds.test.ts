import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZmsDetector } from '../../src/detectors/index.js';
import {
  DAY_SUSTAIN_MINUTES,
  DailyProfileLevel,
  dayLevelDefault,
  dayProfile,
  daySustainDefault,
  KINDS_RECIPES,
  PROFILE_MIN_PER_BIN,
  RECIPES,
} from '../../src/internal.js';
import { synthCorpus } from '../../src/lab/index.js';
import { lcg31, seededSeries } from '../helpers/random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A daily cycle with noise (deterministic LCG) at `stepMin`-minute steps. */
function daily(n: number, stepMin: number, seed = 3, t0 = Date.UTC(2024, 0, 1)) {
  return seededSeries(n, stepMin * 60_000, t0, lcg31(seed), (i, u) => {
    const t = t0 + i * stepMin * 60_000;
    return 50 + 10 * Math.sin((2 * Math.PI * (t % DAY)) / DAY) + (u - 0.5);
  });
}

function zms(): ZmsDetector {
  return new ZmsDetector({ nLags: 0, enableCalibrator: true, enableThreshold: false });
}

describe('dayProfile (round 9 lab candidate)', () => {
  it('is the mean of each hour of the day over the training part (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(5, 10, 15, 30, 60),
        fc.constantFrom(2, 4, 6),
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 24, maxLength: 24 }),
        (stepMin, days, byHour) => {
          const n = (days * 24 * 60) / stepMin;
          const t = new Float64Array(n);
          const v = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            t[i] = Date.UTC(2024, 0, 1) + i * stepMin * 60_000;
            v[i] =
              byHour[Math.floor((t[i] % DAY) / HOUR)] + (Math.floor((i * stepMin) / 1440) % 2 === 0 ? 1 : -1);
          }
          const p = dayProfile({ t, v });
          expect(p).not.toBeNull();
          expect(p!.mean.length).toBe(24);
          // even and odd days hold as many points of each hour, so the ±1 of the days averages out
          for (let h = 0; h < 24; h++) expect(p!.mean[h]).toBeCloseTo(byHour[h], 9);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is null when an hour holds fewer than two training points, or the span is too short', () => {
    // 1-minute steps, 7.5 hours (NAB's 15 % of 3,000 points): most hours never seen
    expect(dayProfile(daily(450, 1))).toBeNull();
    // hourly steps, one day: one point per hour
    expect(PROFILE_MIN_PER_BIN).toBe(2);
    expect(dayProfile(daily(24, 60))).toBeNull();
    expect(dayProfile(daily(48, 60))).not.toBeNull();
    // 30-minute steps over 9.4 days: a profile, but not when 7 days are asked for and 6 are given
    expect(dayProfile(daily(450, 30), 7 * DAY)).not.toBeNull();
    expect(dayProfile(daily(288, 30), 7 * DAY)).toBeNull();
  });
});

describe('DailyProfileLevel', () => {
  it('without a profile scores exactly as the member it wraps', () => {
    const all = daily(900, 1);
    const train = { t: all.t.subarray(0, 450), v: all.v.subarray(0, 450) };
    const test = { t: all.t.subarray(450), v: all.v.subarray(450) };
    const plain = zms();
    plain.train(train);
    const wrapped = new DailyProfileLevel(zms());
    wrapped.train(train);
    expect(wrapped.dayProfile).toBeNull();
    expect(Array.from(wrapped.score(test).v)).toEqual(Array.from(plain.score(test).v));
  });

  it('streams as it scores in batch, and scoreOne changes nothing', () => {
    const all = daily(3000, 10);
    const train = { t: all.t.subarray(0, 1100), v: all.v.subarray(0, 1100) };
    const test = { t: all.t.subarray(1100), v: all.v.subarray(1100) };
    const d = new DailyProfileLevel(zms(), 7);
    d.train(train);
    expect(d.dayProfile).not.toBeNull();
    const batch = d.score(test).v;
    const st = d.stream();
    for (let i = 0; i < test.t.length; i++) {
      const peek = st.scoreOne(test.t[i], test.v[i]);
      const r = st.push(test.t[i], test.v[i]);
      expect(peek).toBe(r.score);
      expect(r.score).toBe(batch[i]);
    }
  });

  it('sees a level shift smaller than the daily swing that the plain level member misses', () => {
    const all = daily(3000, 10);
    const p = 1100; // 7.6 days of training
    const shift = 8; // the daily amplitude is 10, the noise ±0.5
    for (let i = 2000; i < 3000; i++) all.v[i] += shift;
    const train = { t: all.t.subarray(0, p), v: all.v.subarray(0, p) };
    const before = { t: all.t.subarray(p, 2000), v: all.v.subarray(p, 2000) };
    const after = { t: all.t.subarray(2000, 2144), v: all.v.subarray(2000, 2144) }; // the next day
    const plain = zms();
    plain.train(train);
    const prof = new DailyProfileLevel(zms(), 7);
    prof.train(train);
    const min = (xs: Float64Array) => xs.reduce((a, b) => Math.min(a, Math.abs(b)), Infinity);
    const max = (xs: Float64Array) => xs.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
    // the profiled member scores every point of the shifted day above anything before the shift
    expect(min(prof.score(after).v)).toBeGreaterThan(max(prof.score(before).v));
    // the plain member scores half of the shifted day below its own peak before the shift
    const pa = Array.from(plain.score(after).v, Math.abs).sort((a, b) => a - b);
    expect(pa[72]).toBeLessThan(max(plain.score(before).v));
  });

  it('scores 0 everywhere without a profile when asked to be silent, and as the wrapped member with one', () => {
    const short = daily(900, 1); // 7.5 hours of training: no profile
    const silent = new DailyProfileLevel(zms(), 7, true);
    const trained = silent.train({ t: short.t.subarray(0, 450), v: short.v.subarray(0, 450) });
    expect(silent.dayProfile).toBeNull();
    expect(trained.v.every((x) => x === 0)).toBe(true);
    const test = { t: short.t.subarray(450), v: short.v.subarray(450).map((x) => x + 100) };
    expect(silent.score(test).v.every((x) => x === 0)).toBe(true);
    const st = silent.stream();
    for (let i = 0; i < test.t.length; i++) expect(st.push(test.t[i], test.v[i]).score).toBe(0);
    // with a profile, silence changes nothing
    const long = daily(3000, 30);
    const train = { t: long.t.subarray(0, 450), v: long.v.subarray(0, 450) };
    const rest = { t: long.t.subarray(450), v: long.v.subarray(450) };
    const a = new DailyProfileLevel(zms(), 7, true);
    const b = new DailyProfileLevel(zms(), 7, false);
    a.train(train);
    b.train(train);
    expect(a.dayProfile).not.toBeNull();
    expect(Array.from(a.score(rest).v)).toEqual(Array.from(b.score(rest).v));
  });

  it('is the sustained third part of defaultWeekSustain, beside the unchanged default', () => {
    expect(DAY_SUSTAIN_MINUTES).toBe(180);
    expect(RECIPES.defaultWeekSustain).toBe(KINDS_RECIPES.defaultWeekSustain);
    const det = daySustainDefault(0, 7);
    expect(det.members.map((m) => m.type)).toEqual(['Ensemble', 'FlatLineDetector', 'SustainedScore']);
    // where the profile is silent (1-minute steps, 7.5 h of training), the candidate scores as the default
    const all = daily(1500, 1);
    const train = { t: all.t.subarray(0, 450), v: all.v.subarray(0, 450) };
    const test = { t: all.t.subarray(450), v: all.v.subarray(450) };
    const cand = daySustainDefault(0, 7);
    cand.train(train);
    const base = RECIPES.default.build({ seed: 0 });
    base.train(train);
    expect(Array.from(cand.score(test).v)).toEqual(Array.from(base.score(test).v));
  });

  it('is the level member of the defaultWeekLevel recipe', () => {
    expect(RECIPES.defaultWeekLevel).toBe(KINDS_RECIPES.defaultWeekLevel);
    const det = dayLevelDefault(0, 7);
    const mean = det.members[0] as unknown as { members: readonly { type: string }[] };
    expect(mean.members.map((m) => m.type)).toEqual(['EtsDetector', 'RandomCutForest', 'DailyProfileLevel']);
  });
});

describe('synth metadata (round 9)', () => {
  it('records the noise, the daily amplitude and the planted size of every file', () => {
    const c = synthCorpus({ seed: 1, perKind: 2, clean: 2 });
    for (const f of c.files) {
      expect(f.sigma).toBeGreaterThan(0);
      expect(f.amplitude).toBeGreaterThanOrEqual(0);
      const kind = f.windows[0]?.kind;
      if (kind === undefined) expect(f.anomalySize).toBe(0);
      else if (kind === 'varianceBurst') {
        expect(f.anomalySize).toBeGreaterThanOrEqual(4);
        expect(f.anomalySize).toBeLessThan(7);
      } else if (kind === 'spike' || kind === 'dip')
        expect(f.anomalySize).toBeGreaterThanOrEqual(6 * f.sigma);
      else if (kind !== 'flatline' && kind !== 'frequencyChange')
        expect(f.anomalySize).toBeGreaterThanOrEqual(4 * f.sigma);
    }
  });
});

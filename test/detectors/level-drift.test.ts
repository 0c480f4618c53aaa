import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DRIFT,
  type Detector,
  defaultDetector,
  LevelDriftDetector,
  loadModel,
  Rng,
} from '../../src/detectors/index.js';
import { ConfigError, ModelFormatError } from '../../src/index.js';
import { gaussOne, LEVEL_DRIFT_DEFAULTS, LevelDriftCore, RECIPES } from '../../src/internal.js';
import { lcg, seededSeries } from '../helpers/random.js';

const DAY = 86_400_000;

interface Plan {
  stepMin: number;
  n: number;
  /** A drift episode: from `at`, a ramp to `size` over `len` points, held for `len` points. */
  at?: number;
  len?: number;
  size?: number;
  /** AR(1) coefficient of the noise (sd 1 innovations scaled to sd 1 overall). */
  phi?: number;
  /** Daily amplitude (default 10). */
  amp?: number;
  seed?: number;
}

/** A daily sine with AR(1) noise of sd 1, optionally a drift episode. */
function series(p: Plan) {
  const r = new Rng(p.seed ?? 1);
  const t = new Float64Array(p.n);
  const v = new Float64Array(p.n);
  const step = p.stepMin * 60_000;
  const phi = p.phi ?? 0.5;
  let ar = 0;
  for (let i = 0; i < p.n; i++) {
    t[i] = Date.UTC(2024, 0, 1) + i * step;
    ar = phi * ar + gaussOne(r) * Math.sqrt(1 - phi * phi);
    let d = 0;
    if (p.at !== undefined && i >= p.at) {
      const k = i - p.at + 1;
      const len = p.len ?? 1;
      d = k <= len ? ((p.size ?? 0) * k) / len : k <= 2 * len ? (p.size ?? 0) : 0;
    }
    v[i] = 50 + (p.amp ?? 10) * Math.sin((2 * Math.PI * (t[i] - t[0])) / DAY) + ar + d;
  }
  return { t, v };
}

/** Trains a core on the first `train` points and returns it with the scores of the rest. */
function run(s: { t: Float64Array; v: Float64Array }, train: number, o = {}) {
  const core = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...o });
  core.fit(s.t.subarray(0, train), s.v.subarray(0, train));
  const out = new Float64Array(s.t.length - train);
  for (let i = train; i < s.t.length; i++) out[i - train] = core.scoreRow(s.t[i], s.v[i]);
  return { core, out };
}

const max = (x: Float64Array) => x.reduce((a, b) => Math.max(a, b), 0);

describe('LevelDriftCore', () => {
  // 30-minute steps: ten days of training (480 points) show the daily period seven times over
  it('reaches the alarm level on a drift of 6 noise sd inside the daily range (amplitude 10)', () => {
    const s = series({ stepMin: 30, n: 1500, at: 1000, len: 100, size: 6 });
    const { core, out } = run(s, 480);
    expect(core.off).toBe('');
    expect(core.period).toBe(48);
    expect(max(out.subarray(0, 1000 - 480))).toBe(0);
    const inDrift = out.subarray(1000 - 480, 1200 - 480);
    expect(max(inDrift)).toBeGreaterThanOrEqual(3);
    // the first score at the alarm level comes while the ramp is still rising
    expect(inDrift.findIndex((x) => x >= 3)).toBeLessThan(100);
  });

  it('stays at 0 on the same series without the drift, and in its own training part', () => {
    const s = series({ stepMin: 30, n: 1500 });
    const core = new LevelDriftCore(LEVEL_DRIFT_DEFAULTS);
    const fit = core.fit(s.t.subarray(0, 480), s.v.subarray(0, 480));
    expect(max(fit)).toBe(0);
    expect(max(run(s, 480).out)).toBe(0);
  });

  it('is off without a checked period, or with fewer whole periods than minPeriods', () => {
    const flat = series({ stepMin: 30, n: 600, amp: 0 });
    const a = run(flat, 480);
    expect(a.core.off).toBe('no period');
    expect(max(a.out)).toBe(0);
    const short = series({ stepMin: 30, n: 600 });
    const b = run(short, 200);
    expect(b.core.off).toBe('fewer than 7 periods');
    // withoutPeriod: the training mean is the profile
    const c = run(series({ stepMin: 30, n: 900, amp: 0, at: 600, len: 60, size: 8 }), 480, {
      withoutPeriod: true,
    });
    expect(c.core.off).toBe('');
    expect(max(c.out)).toBeGreaterThanOrEqual(3);
  });

  it('re-anchors after a lasting shift: one episode of scores, then quiet again', () => {
    const s = series({ stepMin: 30, n: 2400, at: 1000, len: 20, size: 8 });
    // the drift helper returns to 0 after 2·len points: hold the shift by adding it again past there
    for (let i = 1040; i < 2400; i++) s.v[i] += 8;
    const { out } = run(s, 480);
    const after = out.subarray(1000 - 480);
    expect(max(after.subarray(0, 100))).toBeGreaterThanOrEqual(3);
    // the level has moved to the new one: the next 400 points (eight days) score 0
    expect(max(after.subarray(100, 500))).toBe(0);
  });

  it('peekRow gives scoreRow’s score and changes nothing', () => {
    const s = series({ stepMin: 30, n: 1300, at: 1000, len: 60, size: 7 });
    const a = new LevelDriftCore(LEVEL_DRIFT_DEFAULTS);
    const b = new LevelDriftCore(LEVEL_DRIFT_DEFAULTS);
    a.fit(s.t.subarray(0, 480), s.v.subarray(0, 480));
    b.fit(s.t.subarray(0, 480), s.v.subarray(0, 480));
    for (let i = 480; i < 1300; i++) {
      const peek = a.peekRow(s.t[i], s.v[i]);
      expect(a.peekRow(s.t[i], s.v[i])).toBe(peek);
      expect(a.scoreRow(s.t[i], s.v[i])).toBe(peek);
      expect(b.scoreRow(s.t[i], s.v[i])).toBe(peek);
    }
  });

  it('property: scores are 0 or at least the floor, and unchanged by a shift and a positive scale of every value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        (seed, shift, scale, phi, size) => {
          const s = series({ stepMin: 60, n: 400, at: 250, len: 30, size, phi, seed });
          const base = run(s, 200).out;
          const moved = {
            t: s.t,
            v: s.v.map((x) => shift + scale * x),
          };
          const other = run(moved, 200).out;
          for (let i = 0; i < base.length; i++) {
            expect(base[i] === 0 || base[i] >= LEVEL_DRIFT_DEFAULTS.floor).toBe(true);
            // the same decision everywhere; the score itself up to rounding
            expect(other[i] === 0).toBe(base[i] === 0);
            expect(Math.abs(other[i] - base[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, base[i]));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('LevelDriftDetector', () => {
  it('a model file loads and scores as the detector it was written by; a tampered state is refused', () => {
    const s = series({ stepMin: 30, n: 1500, at: 1000, len: 100, size: 6 });
    const d = new LevelDriftDetector();
    d.train({ t: s.t.subarray(0, 480), v: s.v.subarray(0, 480) });
    const json = d.toJSON();
    const back = loadModel(JSON.parse(JSON.stringify(json)));
    const test = { t: s.t.subarray(480), v: s.v.subarray(480) };
    const a = d.score(test).v;
    expect(max(a)).toBeGreaterThanOrEqual(3);
    expect(back.score(test).v).toEqual(a);
    const bad = JSON.parse(JSON.stringify(json)) as { state: { model: { num: unknown[] } } };
    const model = (bad.state as unknown as { model: { num: unknown[] } }).model;
    expect(Array.isArray(model?.num)).toBe(true);
    model.num[5] = -1; // the decision level h
    expect(() => loadModel(bad)).toThrow(ModelFormatError);
  });

  it("defaultDetector(): without `drift` round 19a's member (DEFAULT_DRIFT); `drift: false` one part fewer (late arming pinned off as the recipes of older defaults do)", () => {
    const s = series({ stepMin: 30, n: 700 });
    const train = { t: s.t.subarray(0, 480), v: s.v.subarray(0, 480) };
    const a = defaultDetector({ seed: 3, drift: { ...DEFAULT_DRIFT } });
    const b = defaultDetector({ seed: 3 });
    a.train(train);
    b.train(train);
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
    // (and no daily harmonic: the default before round 19a, as harm45's BEFORE_44_ZMS pins it)
    const before = defaultDetector({
      seed: 3,
      drift: false,
      seasonal: { late: undefined },
      zms: { dailyHarmonics: undefined },
    });
    expect(JSON.stringify(RECIPES.defaultBefore19a.build({ seed: 3 }).toJSON())).toBe(
      JSON.stringify(before.toJSON()),
    );
    const c = defaultDetector({ seed: 3, drift: {} });
    expect(c.members.length).toBe(before.members.length + 1);
    expect(c.members[c.members.length - 1]).toBeInstanceOf(LevelDriftDetector);
    // the lab recipe is that detector beside the default it was measured with (before round 12c's
    // lone-alarm paths)
    const before12c = defaultDetector({
      seed: 3,
      drift: {},
      etsAlone: false,
      threshold: { strongThreshold: undefined, countPoints: undefined },
      seasonal: { late: undefined },
    });
    expect(JSON.stringify(RECIPES.defaultDrift.build({ seed: 3 }).toJSON())).toBe(
      JSON.stringify(before12c.toJSON()),
    );
  });
});

describe('round 18a recipe (defaultDrift18a), the default since round 19a', () => {
  /** Streams `d` trained on the first `train` points over the rest; the scores. */
  const streamed = (d: Detector, s: { t: Float64Array; v: Float64Array }, train: number) => {
    d.train({ t: s.t.subarray(0, train), v: s.v.subarray(0, train) });
    const st = d.stream();
    const out = new Float64Array(s.t.length - train);
    for (let i = train; i < s.t.length; i++) out[i - train] = st.push(s.t[i], s.v[i]).score;
    return out;
  };

  it('is the default plus the member (episodes 672 / 2, decision level 4 × the training maximum)', () => {
    const c = RECIPES.defaultDrift18a.build({ seed: 3 });
    const ref = defaultDetector({ seed: 3, drift: { refractory: 672, burst: 2, ratio: 4 } });
    expect(JSON.stringify(c.toJSON())).toBe(JSON.stringify(ref.toJSON()));
    // round 19a: the default itself
    expect(JSON.stringify(defaultDetector({ seed: 3 }).toJSON())).toBe(JSON.stringify(ref.toJSON()));
    expect(JSON.stringify(ref.toJSON())).not.toBe(
      JSON.stringify(defaultDetector({ seed: 3, drift: { refractory: 672, burst: 2 } }).toJSON()),
    );
  });

  it('scores at least the default-before-19a’s |score| where the member is on, and its scores bit for bit where it is off', () => {
    // 30-minute steps, 10 days of training: the member is on; a drift of 6 noise sd from point 560
    const on = series({ stepMin: 30, n: 760, at: 560, len: 60, size: 6, seed: 4 });
    // the round 18a recipe as it built until harm45 (the default of round 19a to harm45: no daily harmonic,
    // as the default before 19a it is compared with)
    const drift18a = () => defaultDetector({ seed: 3, zms: { dailyHarmonics: undefined } });
    const a = streamed(RECIPES.defaultBefore19a.build({ seed: 3 }), on, 480);
    const b = streamed(drift18a(), on, 480);
    let higher = 0;
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(b[i])).toBeGreaterThanOrEqual(Math.abs(a[i]));
      if (Math.abs(b[i]) > Math.abs(a[i])) higher++;
    }
    expect(higher).toBeGreaterThan(0);
    // 5-minute steps, 40 hours of training (fewer than 7 whole days): the member is off
    const off = series({ stepMin: 5, n: 700, seed: 5 });
    const c = streamed(RECIPES.defaultBefore19a.build({ seed: 3 }), off, 480);
    const d = streamed(drift18a(), off, 480);
    for (let i = 0; i < c.length; i++)
      if (!Object.is(c[i], d[i])) expect.fail(`point ${i}: ${d[i]} against ${c[i]}`);
  });
});

/**
 * Round 13b's options (docs/evaluation.md): a profile that keeps learning, and alarm episodes with a
 * refractory period. Absent, the member is round 12b's: fixtures/level-drift-15db341.json was written by
 * tsad's main branch at commit 15db341 (before the options existed), not by this build:
 * `new LevelDriftDetector()` trained on the first 480 points of a 30-minute daily sine with noise (a
 * drift of +7 from point 800), the other 720 streamed with `stream().push` (`stream`).
 */
describe('LevelDriftCore, round 13b options', () => {
  it('a model file of the build before the options loads and streams to that build’s very scores', () => {
    const fx = JSON.parse(
      readFileSync(new URL('./fixtures/level-drift-15db341.json', import.meta.url), 'utf8'),
    ) as { test: { t: number[]; v: number[] }; stream: number[]; model: unknown };
    const d = loadModel(fx.model);
    expect(d).toBeInstanceOf(LevelDriftDetector);
    const s = d.stream();
    let alarms = 0;
    for (let i = 0; i < fx.test.t.length; i++) {
      const r = s.push(fx.test.t[i], fx.test.v[i]).score;
      if (!Object.is(r, fx.stream[i])) expect([i, r]).toEqual([i, fx.stream[i]]);
      if (r >= 3) alarms++;
    }
    expect(alarms).toBeGreaterThan(0);
    // and this build writes that model file back unchanged (no new state or config field without the options)
    const m = fx.model as { state: unknown; config: unknown };
    expect(JSON.stringify((loadModel(fx.model) as LevelDriftDetector).toJSON().state)).toBe(
      JSON.stringify(m.state),
    );
    expect(JSON.stringify((loadModel(fx.model) as LevelDriftDetector).toJSON().config)).toBe(
      JSON.stringify(m.config),
    );
    expect(JSON.stringify(new LevelDriftDetector().toJSON().config)).toBe(JSON.stringify(m.config));
  });

  it('property: with refractory R and burst b, at most b scores at the alarm level in any R consecutive points', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: -12, max: 12, noNaN: true }),
        fc.constantFrom(0, 3),
        (seed, R0, b0, size, halfLife) => {
          const R = Math.max(R0, b0);
          const b = b0;
          const s = series({ stepMin: 60, n: 900, at: 300, len: 20, size, seed });
          // a lasting shift as well, so that the sums re-anchor and cross again
          for (let i = 600; i < 900; i++) s.v[i] += 2 * size;
          const { out } = run(s, 200, { minPeriods: 7, refractory: R, burst: b, relearnHalfLife: halfLife });
          const plain = run(s, 200, { minPeriods: 7, relearnHalfLife: halfLife }).out;
          for (let i = 0; i < out.length; i++) {
            // the episodes only silence: a score is the plain member's or 0
            expect(out[i] === 0 || out[i] === plain[i]).toBe(true);
            let c = 0;
            for (let j = i; j < Math.min(out.length, i + R); j++) if (out[j] >= 3) c++;
            expect(c).toBeLessThanOrEqual(b);
          }
          // the first alarm-level score of the plain member is kept
          const first = plain.findIndex((x) => x >= 3);
          if (first >= 0) expect(out[first]).toBe(plain[first]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('with floor below the alarm level, episodes mask only their own points: every point outside an episode keeps its score', () => {
    const s = series({ stepMin: 30, n: 1600, at: 1000, len: 60, size: 7 });
    const R = 50;
    const b = 2;
    const { out } = run(s, 480, { floor: 0, refractory: R, burst: b });
    const plain = run(s, 480, { floor: 0 }).out;
    // the episodes by their definition, from the plain member's scores: an alarm-level score with no
    // episode open opens one of R points, whose first b keep their score
    let open = -1;
    let outside = 0;
    for (let i = 0; i < out.length; i++) {
      if (open >= 0 && i - open >= R) open = -1;
      if (open < 0 && plain[i] >= 3) open = i;
      const want = open < 0 || i - open < b ? plain[i] : 0;
      expect([i, out[i]]).toEqual([i, want]);
      if (open < 0 && plain[i] > 0) outside++;
    }
    // the case this checks occurs: positive scores below the alarm level outside any episode
    expect(outside).toBeGreaterThan(10);
    expect(out.some((x) => x >= 3)).toBe(true);
  });

  it('a learning profile follows a level that wanders slowly, where the frozen one alarms again and again', () => {
    const s = series({ stepMin: 30, n: 3000 });
    // a random walk of the level, 0.08 noise sd per point: it wanders by many sd over days
    const r = new Rng(5);
    let w = 0;
    for (let i = 480; i < 3000; i++) {
      w += 0.08 * gaussOne(r);
      s.v[i] += w;
    }
    const frozen = run(s, 480).out.filter((x) => x >= 3).length;
    const learning = run(s, 480, { relearnHalfLife: 1 }).out.filter((x) => x >= 3).length;
    expect(frozen).toBeGreaterThan(10);
    expect(learning).toBeLessThan(frozen / 2);
    // and it still reaches the alarm level on a drift of 6 noise sd over 100 points
    const d = series({ stepMin: 30, n: 1500, at: 1000, len: 100, size: 6 });
    expect(max(run(d, 480, { relearnHalfLife: 7 }).out.subarray(1000 - 480))).toBeGreaterThanOrEqual(3);
  });

  it('peekRow gives scoreRow’s score with the options on; state, clone and model file keep the episode and profile', () => {
    const o = { relearnHalfLife: 2, refractory: 30, burst: 2 };
    const s = series({ stepMin: 30, n: 1600, at: 1000, len: 60, size: 7 });
    for (let i = 1120; i < 1600; i++) s.v[i] += 7;
    const a = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...o });
    a.fit(s.t.subarray(0, 480), s.v.subarray(0, 480));
    let b = a.clone();
    for (let i = 480; i < 1600; i++) {
      const peek = a.peekRow(s.t[i], s.v[i]);
      expect(a.scoreRow(s.t[i], s.v[i])).toBe(peek);
      expect(b.scoreRow(s.t[i], s.v[i])).toBe(peek);
      if (i % 7 === 0) {
        const c = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...o });
        c.restore(JSON.parse(JSON.stringify(b.state())), 'state');
        b = c;
      }
    }
    const st = a.state() as { ep: number };
    expect(st.ep).toBeGreaterThanOrEqual(0);
    // an episode position beyond the refractory period, or one without the option, is refused
    const c = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...o });
    expect(() => c.restore({ ...st, ep: 31 }, 'state')).toThrow(ModelFormatError);
    expect(() => new LevelDriftCore(LEVEL_DRIFT_DEFAULTS).restore(st, 'state')).toThrow(ModelFormatError);
  });

  it('bad option values are a ConfigError that names the field', () => {
    for (const bad of [
      { relearnHalfLife: -1 },
      { relearnBelow: 0 },
      { refractory: 1.5 },
      { burst: 0 },
      { refractory: 3, burst: 4 },
    ]) {
      expect(() => new LevelDriftDetector(bad)).toThrow(ConfigError);
    }
    expect(() => new LevelDriftDetector({ refractory: 3, burst: 4 })).toThrow(/burst/);
  });
});

describe('LevelDriftDetector: one episode step for scoreRow and peekRow', () => {
  /**
   * sha256 of the batch scores, the pushed stream scores and the `scoreOne` (peek) scores, and the count
   * of alarm-level batch scores, per config: written by the build of main at ab43760 (before the episode
   * step became one helper) with the same series and calls as below.
   */
  const BEFORE: Record<string, [string, number]> = {
    '{"refractory":30,"burst":2}': ['b30ea927b83d176f1a91759564bf1625e8b37ae16c043a4b88b371be6201678d', 6],
    '{"refractory":5,"burst":1,"relearnHalfLife":2}': [
      '5b6482a0b3df128cfee3c60749a10b4533a626b8bcbe60d9a0c5a35c43f8814f',
      7,
    ],
    '{"refractory":50,"burst":3,"floor":0}': [
      '5635d432039ab9f0aa260302e34ffbaf42591eb2472da9eb5a212766525b92ec',
      9,
    ],
    '{}': ['bc4ca8fca9510f2b6c95046770a5cb00f3407e51ccd74a0861e23f08b6d2f7ff', 37],
  };

  it('scores, streams and peeks bit for bit as before', async () => {
    const { createHash } = await import('node:crypto');
    const n = 2400;
    const { t, v } = seededSeries(n, 1_800_000, Date.UTC(2024, 0, 1), lcg(7), (i, u) => {
      const d = i >= 1500 ? Math.min(8, (i - 1500) / 10) * (i < 1800 ? 1 : 0) : 0;
      return 10 * Math.sin((2 * Math.PI * i) / 48) + (u - 0.5) * 3 + d;
    });
    const train = { t: t.slice(0, 700), v: v.slice(0, 700) };
    const test = { t: t.slice(700), v: v.slice(700) };
    for (const [key, [hash, alarms]] of Object.entries(BEFORE)) {
      const d = new LevelDriftDetector(JSON.parse(key));
      d.train(train);
      const sc = d.score(test, { prev: train }).v;
      const st = d.stream();
      const pushed = new Float64Array(test.t.length);
      const peeked = new Float64Array(test.t.length);
      for (let i = 0; i < test.t.length; i++) {
        peeked[i] = st.scoreOne(test.t[i], test.v[i]);
        pushed[i] = st.push(test.t[i], test.v[i]).score;
      }
      const h = createHash('sha256')
        .update(Buffer.from(new Float64Array(sc).buffer))
        .update(Buffer.from(pushed.buffer))
        .update(Buffer.from(peeked.buffer))
        .digest('hex');
      expect(h, key).toBe(hash);
      expect(sc.filter((x) => x >= 3).length, key).toBe(alarms);
    }
  });
});

describe('LevelDriftCore, round 21b options (crossFit, lengthGrowth)', () => {
  const R21 = { ...DEFAULT_DRIFT, crossFit: true, lengthGrowth: 1 };
  /** Alarm-level scores of a core trained on the first `train` points and streamed over the rest. */
  const alarms = (s: { t: Float64Array; v: Float64Array }, train: number, o: object) => {
    const out = run(s, train, o).out;
    return out.reduce((a, x) => a + (x >= 3 ? 1 : 0), 0);
  };

  it('on long anomaly-free streams of AR(0.9) noise the fixed level alarms and the growing one stays quiet', () => {
    // 15-minute steps, 750 training points (7.8 days, NAB's cap), then 47,250 points (about 492 days)
    let fixed = 0;
    let grown = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const s = series({ stepMin: 15, n: 48_000, phi: 0.9, seed });
      if (alarms(s, 750, DEFAULT_DRIFT) > 0) fixed++;
      if (alarms(s, 750, R21) > 0) grown++;
    }
    expect(fixed).toBeGreaterThanOrEqual(3);
    expect(grown).toBe(0);
  });

  it('still reaches the alarm level on a drift of 6 noise sd, early and late in the stream', () => {
    for (const at of [1000, 6000]) {
      const s = series({ stepMin: 30, n: at + 500, at, len: 100, size: 6 });
      const { core, out } = run(s, 480, R21);
      expect(core.off).toBe('');
      expect(max(out.subarray(0, at - 480))).toBe(0);
      expect(max(out.subarray(at - 480))).toBeGreaterThanOrEqual(3);
    }
  });

  it('crossFit calibrates on out-of-sample residuals: a larger decision level (in value units) than in-sample on AR noise', () => {
    // each training point is scored against a profile it did not help to fit, so the training sums
    // (and the decision level, ratio × their largest, times the spread) are those a test part of the
    // same process shows
    const h = (o: object, seed: number) => {
      const s = series({ stepMin: 30, n: 480, phi: 0.8, seed });
      const core = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, minH: 0.01, ...o });
      core.fit(s.t, s.v);
      const num = (core.state() as { num: number[] }).num;
      return num[4] * num[5];
    };
    let larger = 0;
    for (let seed = 1; seed <= 10; seed++) if (h({ crossFit: true }, seed) > h({}, seed)) larger++;
    expect(larger).toBeGreaterThanOrEqual(8);
  });

  it('peekRow gives scoreRow’s score; state, clone and model file keep the growth; a stray or bad grow is refused', () => {
    const s = series({ stepMin: 30, n: 3000, at: 2500, len: 60, size: 7 });
    const a = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...R21 });
    a.fit(s.t.subarray(0, 480), s.v.subarray(0, 480));
    let b = a.clone();
    let alarm = 0;
    for (let i = 480; i < 3000; i++) {
      const peek = a.peekRow(s.t[i], s.v[i]);
      expect(a.scoreRow(s.t[i], s.v[i])).toBe(peek);
      expect(b.scoreRow(s.t[i], s.v[i])).toBe(peek);
      if (peek >= 3) alarm++;
      if (i % 97 === 0) {
        const c = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...R21 });
        c.restore(JSON.parse(JSON.stringify(b.state())), 'state');
        b = c;
      }
    }
    expect(alarm).toBeGreaterThan(0);
    const st = a.state() as { grow: number[] };
    expect(st.grow[3]).toBe(3000 - 480);
    const fresh = () => new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...R21 });
    expect(() => fresh().restore({ ...st, grow: [1, 1, 480, 1.5] }, 'state')).toThrow(/grow/);
    expect(() => fresh().restore({ ...st, grow: [1, -1, 480, 10] }, 'state')).toThrow(ModelFormatError);
    const { grow: _g, ...without } = st;
    expect(() => fresh().restore(without, 'state')).toThrow(ModelFormatError);
    expect(() =>
      new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...DEFAULT_DRIFT }).restore(st, 'state'),
    ).toThrow(/only a member with lengthGrowth/);
  });

  it('the detector takes both options, writes them in its model file and loads back to the same scores', () => {
    const s = series({ stepMin: 30, n: 2000, at: 1500, len: 60, size: 7 });
    const d = new LevelDriftDetector(R21);
    d.train({ t: s.t.subarray(0, 480), v: s.v.subarray(0, 480) });
    const back = loadModel(JSON.parse(JSON.stringify(d.toJSON())));
    const a = d.stream();
    const b = back.stream();
    for (let i = 480; i < 2000; i++) expect(b.push(s.t[i], s.v[i]).score).toBe(a.push(s.t[i], s.v[i]).score);
    expect(() => new LevelDriftDetector({ crossFit: 1 as unknown as boolean })).toThrow(ConfigError);
    expect(() => new LevelDriftDetector({ lengthGrowth: -1 })).toThrow(ConfigError);
  });

  it('the recipe defaultQuiet21 is the default with round 21b’s member', () => {
    expect(RECIPES.defaultQuiet21).toBeDefined();
    const det = RECIPES.defaultQuiet21.build({ seed: 0 }) as Detector;
    const cfg = JSON.stringify(det.toJSON());
    expect(cfg).toContain('"crossFit":true');
    expect(cfg).toContain('"lengthGrowth":1');
  });
});

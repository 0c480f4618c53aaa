import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT, LevelDriftDetector, loadModel, Rng } from '../../src/detectors/index.js';
import { ConfigError, ModelFormatError } from '../../src/index.js';
import { gaussOne, LEVEL_DRIFT_DEFAULTS, LevelDriftCore, RECIPES } from '../../src/internal.js';

// Round 24 of docs/evaluation.md: round 23's late arming with tries on a geometric schedule (`lateGrowth`).
const DAY = 86_400_000;
const LATE23 = { ...DEFAULT_DRIFT, crossFit: true, lengthGrowth: 1, lateDays: 7 };
const LATE24 = { ...LATE23, lateGrowth: 2 };

/** `n` points at `stepMin` minutes: a daily sine of amplitude `amp` (0: none) plus white noise of sd 1. */
function series(n: number, stepMin: number, amp: number, seed = 1, at = n, size = 0) {
  const r = new Rng(seed);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = Date.UTC(2024, 0, 1) + i * stepMin * 60_000;
    const k = i - at + 1;
    const d = k <= 0 ? 0 : k <= 72 ? (size * k) / 72 : size;
    v[i] = 50 + amp * Math.sin((2 * Math.PI * (t[i] - t[0])) / DAY) + gaussOne(r) + d;
  }
  return { t, v };
}

function core(o: object) {
  return new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...o });
}

describe('LevelDriftCore lateGrowth (round 24)', () => {
  it('a member that never arms fits at most g/(g − 1) points per point seen (round 23: hundreds)', () => {
    // white noise at 5-minute steps: no period, so every try fails; 12,000 points is about 42 days
    const n = 12_000;
    const train = 3_000;
    const s = series(n, 5, 0);
    const work = (o: object) => {
      const c = core(o);
      c.fit(s.t.subarray(0, train), s.v.subarray(0, train));
      for (let i = train; i < n; i++) expect(c.scoreRow(s.t[i], s.v[i])).toBe(0);
      expect(c.off).not.toBe('');
      return c.lateWork;
    };
    const w24 = work(LATE24);
    expect(w24).toBeGreaterThan(0);
    expect(w24).toBeLessThanOrEqual(2 * n);
    // the same count on round 23's schedule (a try every 96 points) breaks the bound many times over
    expect(work(LATE23)).toBeGreaterThan(20 * n);
  });

  it('the bound holds for any factor and length (tries at geometric counts of points seen)', () => {
    const s = series(4_000, 60, 0, 3);
    for (const g of [1.1, 1.5, 3]) {
      const c = core({ ...LATE23, lateGrowth: g });
      c.fit(s.t.subarray(0, 100), s.v.subarray(0, 100));
      for (let i = 100; i < s.t.length; i++) {
        c.scoreRow(s.t[i], s.v[i]);
        expect(c.lateWork).toBeLessThanOrEqual((g / (g - 1)) * (i + 1));
      }
      expect(c.lateWork).toBeGreaterThan(0);
    }
  });

  it('arms at the first point that spans the days, as round 23 does, and finds a later drift', () => {
    // 10-minute steps, three training days: off (fewer than 7 periods); a drift of 6 σ from day 10
    const s = series(2016, 10, 10, 2, 1440, 6);
    const run = (o: object) => {
      const c = core(o);
      c.fit(s.t.subarray(0, 432), s.v.subarray(0, 432));
      let armed = -1;
      const out = new Float64Array(s.t.length);
      for (let i = 432; i < s.t.length; i++) {
        out[i] = c.scoreRow(s.t[i], s.v[i]);
        if (armed < 0 && c.off === '') armed = i;
      }
      return { armed, out };
    };
    const a = run(LATE24);
    const b = run(LATE23);
    expect(a.armed).toBe(7 * 144);
    expect(a.armed).toBe(b.armed);
    expect(Array.from(a.out)).toEqual(Array.from(b.out));
    expect(Math.max(...a.out.subarray(1440, 1600))).toBeGreaterThanOrEqual(3);
  });

  it('a clone or a restored state mid-wait resumes bit for bit', () => {
    const s = series(6_000, 5, 0, 1);
    const a = core(LATE24);
    a.fit(s.t.subarray(0, 500), s.v.subarray(0, 500));
    let b = a.clone();
    for (let i = 500; i < s.t.length; i++) {
      const x = a.scoreRow(s.t[i], s.v[i]);
      expect(b.scoreRow(s.t[i], s.v[i])).toBe(x);
      if (i % 997 === 0) {
        const c = core(LATE24);
        c.restore(JSON.parse(JSON.stringify(b.state())), 'state');
        expect(JSON.stringify(c.state())).toBe(JSON.stringify(b.state()));
        b = i % 2 === 0 ? c : c.clone();
      }
    }
    expect(JSON.stringify(b.state())).toBe(JSON.stringify(a.state()));
    const st = a.state() as { late: { seen: number; next: number } };
    expect(st.late.seen).toBe(6_000);
    expect(st.late.next).toBeGreaterThan(6_000);
  });

  it('refuses a bad schedule and writes the new fields only with the option', () => {
    const s = series(800, 5, 0);
    const a = core(LATE24);
    a.fit(s.t, s.v);
    const st = JSON.parse(JSON.stringify(a.state())) as {
      late: { t: number[]; v: number[]; seen: number; next: number };
    };
    expect(Object.keys(st.late).sort()).toEqual(['next', 'seen', 't', 'v']);
    expect(st.late.seen).toBe(800);
    expect(() => core(LATE24).restore({ ...st, late: { ...st.late, seen: 799 } }, 'state')).toThrow(
      ModelFormatError,
    );
    expect(() => core(LATE24).restore({ ...st, late: { ...st.late, next: 1.5 } }, 'state')).toThrow(/late/);
    expect(() => core(LATE23).restore(st, 'state')).toThrow(ModelFormatError);
    const b = core(LATE23);
    b.fit(s.t, s.v);
    expect(Object.keys(b.state() as object)).toContain('late');
    expect(Object.keys((b.state() as { late: object }).late).sort()).toEqual(['n', 't', 'v']);
    expect(() => new LevelDriftDetector({ ...LATE24, lateGrowth: 1 })).toThrow(ConfigError);
    expect(() => new LevelDriftDetector({ ...LATE24, lateGrowth: 0.5 })).toThrow(ConfigError);
  });

  it('an armed member keeps no waiting state: a state that says it is on and still counting is refused', () => {
    // 10-minute steps over 8 days with a daily sine: armed by its training part
    const s = series(1152, 10, 10, 4);
    for (const [o, fields] of [
      [LATE24, ['seen', 'next']],
      [LATE23, ['n']],
    ] as const) {
      const a = core(o);
      a.fit(s.t, s.v);
      expect(a.off).toBe('');
      const st = JSON.parse(JSON.stringify(a.state())) as { late: Record<string, unknown> };
      for (const f of fields) expect(st.late[f]).toBe(0);
      const b = core(o);
      b.restore(st, 'state');
      expect(JSON.stringify(b.state())).toBe(JSON.stringify(st));
      for (const f of fields)
        expect(() => core(o).restore({ ...st, late: { ...st.late, [f]: 5 } }, 'state')).toThrow(/late/);
    }
  });

  it('the detector model file round-trips mid-wait; the default member writes no new field', () => {
    const s = series(3_000, 5, 10, 5, 2_600, 6);
    const d = new LevelDriftDetector(LATE24);
    d.train({ t: s.t.subarray(0, 400), v: s.v.subarray(0, 400) });
    const json = JSON.stringify(d.toJSON());
    expect(json).toContain('"lateGrowth":2');
    const back = loadModel(JSON.parse(json));
    const x = d.stream();
    const y = back.stream();
    for (let i = 400; i < s.t.length; i++)
      expect(y.push(s.t[i], s.v[i]).score).toBe(x.push(s.t[i], s.v[i]).score);
    const plain = new LevelDriftDetector(DEFAULT_DRIFT);
    plain.train({ t: s.t.subarray(0, 400), v: s.v.subarray(0, 400) });
    expect(JSON.stringify(plain.toJSON())).not.toMatch(/late/);
  });

  it('the recipe defaultDriftLate24 is round 23’s candidate with geometric tries', () => {
    expect(RECIPES.defaultDriftLate24).toBeDefined();
    const cfg = JSON.stringify(RECIPES.defaultDriftLate24.build({ seed: 0 }).toJSON());
    expect(cfg).toContain('"lateDays":7');
    expect(cfg).toContain('"lateGrowth":2');
    expect(cfg).toContain('"crossFit":true');
  });
});

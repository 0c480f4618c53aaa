import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DRIFT,
  type Detector,
  LevelDriftDetector,
  loadModel,
  Rng,
} from '../../src/detectors/index.js';
import { ConfigError, ModelFormatError } from '../../src/index.js';
import { gaussOne, LEVEL_DRIFT_DEFAULTS, LevelDriftCore, RECIPES } from '../../src/internal.js';

// Round 23 of docs/evaluation.md: the level-drift member armed late (`lateDays`).
const DAY = 86_400_000;
const STEP = 10 * 60_000; // 144 points a day
const LATE = { ...DEFAULT_DRIFT, lateDays: 7 };

/** A daily sine (amplitude 10) with AR(0.5) noise of sd 1 at 10-minute steps; a drift ramps to `size` from `at`. */
function series(n: number, at = n, size = 0, seed = 1) {
  const r = new Rng(seed);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let ar = 0;
  for (let i = 0; i < n; i++) {
    t[i] = Date.UTC(2024, 0, 1) + i * STEP;
    ar = 0.5 * ar + gaussOne(r) * Math.sqrt(0.75);
    const k = i - at + 1;
    const d = k <= 0 ? 0 : k <= 72 ? (size * k) / 72 : size;
    v[i] = 50 + 10 * Math.sin((2 * Math.PI * (t[i] - t[0])) / DAY) + ar + d;
  }
  return { t, v };
}

const TRAIN = 432; // three days: fewer than the member's 7 periods, so training leaves it off

function scores(o: object, s = series(2016, 1440, 6)) {
  const core = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...o });
  core.fit(s.t.subarray(0, TRAIN), s.v.subarray(0, TRAIN));
  const out = new Float64Array(s.t.length);
  let armedAt = -1;
  for (let i = TRAIN; i < s.t.length; i++) {
    out[i] = core.scoreRow(s.t[i], s.v[i]);
    if (armedAt < 0 && core.off === '') armedAt = i;
  }
  return { core, out, armedAt };
}

describe('LevelDriftCore lateDays (round 23)', () => {
  it('off after three training days, it arms once the stream spans 7 days and finds a later drift', () => {
    const off = scores(DEFAULT_DRIFT);
    expect(off.core.off).toMatch(/fewer than 7 periods/);
    expect(off.out.every((x) => x === 0)).toBe(true);
    const late = scores(LATE);
    expect(late.armedAt).toBeGreaterThanOrEqual(7 * 144 - 1);
    expect(late.armedAt).toBeLessThan(7 * 144 + 96);
    for (let i = TRAIN; i <= late.armedAt; i++) expect(late.out[i]).toBe(0);
    expect(Math.max(...late.out.subarray(1440, 1600))).toBeGreaterThanOrEqual(3);
    expect(Math.max(...late.out.subarray(late.armedAt, 1440))).toBeLessThan(3);
  });

  it('peek = score, and a clone or a restored state while waiting scores as the original', () => {
    const s = series(2016, 1440, 6);
    const a = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...LATE });
    a.fit(s.t.subarray(0, TRAIN), s.v.subarray(0, TRAIN));
    let b = a.clone();
    for (let i = TRAIN; i < s.t.length; i++) {
      const peek = a.peekRow(s.t[i], s.v[i]);
      expect(a.scoreRow(s.t[i], s.v[i])).toBe(peek);
      expect(b.scoreRow(s.t[i], s.v[i])).toBe(peek);
      if (i % 131 === 0) {
        const c = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...LATE });
        c.restore(JSON.parse(JSON.stringify(b.state())), 'state');
        b = c;
      }
    }
    expect(a.off).toBe('');
  });

  it('refuses a bad or stray kept series', () => {
    const s = series(600);
    const a = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...LATE });
    a.fit(s.t.subarray(0, TRAIN), s.v.subarray(0, TRAIN));
    const st = JSON.parse(JSON.stringify(a.state())) as { late: { t: number[]; v: number[]; n: number } };
    expect(st.late.t.length).toBe(TRAIN);
    const fresh = () => new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...LATE });
    expect(() => fresh().restore({ ...st, late: { ...st.late, n: 96 } }, 'state')).toThrow(/late/);
    expect(() => fresh().restore({ ...st, late: { ...st.late, v: st.late.v.slice(1) } }, 'state')).toThrow(
      ModelFormatError,
    );
    const back = [...st.late.t];
    back[5] = back[4];
    expect(() => fresh().restore({ ...st, late: { ...st.late, t: back } }, 'state')).toThrow(
      ModelFormatError,
    );
    const { late: _l, ...without } = st;
    expect(() => fresh().restore(without, 'state')).toThrow(ModelFormatError);
    expect(() =>
      new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...DEFAULT_DRIFT }).restore(st, 'state'),
    ).toThrow(/only a member with lateDays/);
  });

  it('the detector writes the kept series in its model file and loads back to the same scores', () => {
    const s = series(2016, 1440, 6);
    const d = new LevelDriftDetector(LATE);
    d.train({ t: s.t.subarray(0, TRAIN), v: s.v.subarray(0, TRAIN) });
    const back = loadModel(JSON.parse(JSON.stringify(d.toJSON())));
    const a = d.stream();
    const b = back.stream();
    let top = 0;
    for (let i = TRAIN; i < s.t.length; i++) {
      const x = a.push(s.t[i], s.v[i]).score;
      expect(b.push(s.t[i], s.v[i]).score).toBe(x);
      top = Math.max(top, x);
    }
    expect(top).toBeGreaterThanOrEqual(3);
    expect(() => new LevelDriftDetector({ lateDays: -1 })).toThrow(ConfigError);
  });

  it('the recipe defaultDriftLate23 is the default with the member armed late', () => {
    expect(RECIPES.defaultDriftLate23).toBeDefined();
    const det = RECIPES.defaultDriftLate23.build({ seed: 0 }) as Detector;
    const cfg = JSON.stringify(det.toJSON());
    expect(cfg).toContain('"lateDays":7');
    expect(cfg).toContain('"crossFit":true');
    expect(cfg).toContain('"lengthGrowth":1');
  });
});

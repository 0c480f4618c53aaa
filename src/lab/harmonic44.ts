/**
 * Round 44 of docs/evaluation.md (issue 13, bar 2; a lab prototype, not in the default): the default
 * detector whose level member (ZMS) is fed the residual of a **daily harmonic regression** in place of the
 * value. The regression, `v ≈ w₀ + Σ_{k≤K} (a_k sin kωt + b_k cos kωt)` with ω = 2π / day on the UTC time
 * of day, is fitted by least squares on the training part and then updated by every streamed point after
 * that point is scored (recursive least squares, no forgetting). The member sees `w₀ + e`, where `e` is the
 * value less the regression's prediction: a daily trough the training part only half showed is expected
 * from the curve's shape, while a jump, a drift or a stuck value is not. With `pi`, `e` is shrunk by the
 * ratio of the training residual's standard deviation to the prediction's (the coefficients' variance at
 * this time of day, inflated for AR(1) residuals): a time of day the fit has not seen counts for less.
 * With `short`, the harmonics are used only where the training part spans less than a day (elsewhere the
 * member sees the value and the detector is `defaultDetector()` bit for bit).
 *
 * The wrapper is a third-party `Detector` to the ensemble (`ForeignMember`), so its model file does not
 * load back (type `lab.harmonic44`): benchmarks and `tsad nab run` only. Method: harmonic (Fourier)
 * regression on the time of day as Prophet's seasonality terms use it; recursive least squares and the
 * prediction variance of a linear regression as in any regression text; the AR(1) inflation
 * (1 + φ) / (1 − φ) of a mean's variance under autocorrelated errors.
 */
import { defaultDetector } from '../detectors/default.js';
import { Ensemble } from '../detectors/ensemble.js';
import { EtsDetector } from '../detectors/ets/detector.js';
import { toSeries } from '../detectors/input.js';
import { RandomCutForest } from '../detectors/rcf/detector.js';
import type {
  AlarmEvent,
  Detector,
  ModelJson,
  ScoreOptions,
  SeriesLike,
  StreamOptions,
  StreamScorer,
  TrainOptions,
} from '../detectors/types.js';
import { ZmsDetector } from '../detectors/zms.js';
import type { TimeSeries } from '../series/types.js';
import type { Recipe } from './recipes.js';

const DAY = 86_400_000;

/** Recursive least squares on [1, sin kωt, cos kωt (k = 1..K)]: the daily harmonic model. */
export class HarmonicFit {
  readonly d: number;
  readonly w: Float64Array;
  readonly P: Float64Array;
  private readonly x: Float64Array;
  private readonly px: Float64Array;
  /** Whether the harmonics are used (the R² gate); when not, the residual is the value. */
  on = true;
  /** Training residual variance and the AR(1) variance inflation (1 + φ) / (1 − φ) of its residuals. */
  s2 = 0;
  infl = 1;
  constructor(readonly K: number) {
    this.d = 1 + 2 * K;
    this.w = new Float64Array(this.d);
    this.P = new Float64Array(this.d * this.d);
    this.x = new Float64Array(this.d);
    this.px = new Float64Array(this.d);
  }
  private row(t: number): Float64Array {
    const x = this.x;
    const u = (2 * Math.PI * (((t % DAY) + DAY) % DAY)) / DAY;
    x[0] = 1;
    for (let k = 1; k <= this.K; k++) {
      x[2 * k - 1] = Math.sin(k * u);
      x[2 * k] = Math.cos(k * u);
    }
    return x;
  }
  /**
   * `v` less the harmonic part, its deviation from the fitted level shrunk by the ratio of the training
   * residual's standard deviation to the prediction's (training residual variance plus the coefficients'
   * own variance at this time of day, s² · infl · xᵀPx): a time of day the fit has not seen yet (a wide
   * prediction interval) counts for less, one it has seen counts as the training part's residual does.
   */
  shrunk(t: number, v: number): number {
    if (!this.on) return v;
    const x = this.row(t);
    const d = this.d;
    let f = 0;
    let q = 0;
    for (let a = 0; a < d; a++) {
      f += this.w[a] * x[a];
      let s = 0;
      for (let c = 0; c < d; c++) s += this.P[a * d + c] * x[c];
      q += x[a] * s;
    }
    const k = Math.sqrt(1 / (1 + this.infl * q));
    return this.w[0] + (v - f) * k;
  }
  /** The harmonic part (no intercept) at t. */
  cycle(t: number): number {
    if (!this.on) return 0;
    const x = this.row(t);
    let s = 0;
    for (let j = 1; j < this.d; j++) s += this.w[j] * x[j];
    return s;
  }
  /** Least squares on the training part (a tiny ridge keeps a part far shorter than a day solvable). */
  fit(t: ArrayLike<number>, v: ArrayLike<number>, r2Gate: number): void {
    const d = this.d;
    const A = new Float64Array(d * d);
    const b = new Float64Array(d);
    let m = 0;
    for (let i = 0; i < v.length; i++) m += v[i];
    m /= v.length;
    let ss = 0;
    for (let i = 0; i < v.length; i++) {
      const x = this.row(t[i]);
      const y = v[i] - m;
      ss += y * y;
      for (let a = 0; a < d; a++) {
        b[a] += x[a] * y;
        for (let c = 0; c < d; c++) A[a * d + c] += x[a] * x[c];
      }
    }
    const ridge = 1e-6 * v.length;
    for (let a = 1; a < d; a++) A[a * d + a] += ridge;
    // P = A^-1 (Gauss-Jordan), w = P b
    const M = new Float64Array(d * 2 * d);
    for (let a = 0; a < d; a++) {
      for (let c = 0; c < d; c++) M[a * 2 * d + c] = A[a * d + c];
      M[a * 2 * d + d + a] = 1;
    }
    for (let c = 0; c < d; c++) {
      let piv = c;
      for (let a = c + 1; a < d; a++) if (Math.abs(M[a * 2 * d + c]) > Math.abs(M[piv * 2 * d + c])) piv = a;
      for (let k = 0; k < 2 * d; k++) {
        const tmp = M[c * 2 * d + k];
        M[c * 2 * d + k] = M[piv * 2 * d + k];
        M[piv * 2 * d + k] = tmp;
      }
      const p = M[c * 2 * d + c];
      for (let k = 0; k < 2 * d; k++) M[c * 2 * d + k] /= p;
      for (let a = 0; a < d; a++) {
        if (a === c) continue;
        const f = M[a * 2 * d + c];
        if (f !== 0) for (let k = 0; k < 2 * d; k++) M[a * 2 * d + k] -= f * M[c * 2 * d + k];
      }
    }
    for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) this.P[a * d + c] = M[a * 2 * d + d + c];
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += this.P[a * d + c] * b[c];
      this.w[a] = s;
    }
    this.w[0] += m;
    let rss = 0;
    for (let i = 0; i < v.length; i++) {
      const x = this.row(t[i]);
      let f = 0;
      for (let j = 0; j < d; j++) f += this.w[j] * x[j];
      rss += (v[i] - f) ** 2;
    }
    this.on = ss > 0 && 1 - rss / ss >= r2Gate;
    // lag-1 autocorrelation of the training residuals (time order), clamped to [0, 0.95]
    let num = 0;
    let prev = Number.NaN;
    for (let i = 0; i < v.length; i++) {
      const x = this.row(t[i]);
      let f = 0;
      for (let j = 0; j < d; j++) f += this.w[j] * x[j];
      const e = v[i] - f;
      if (i > 0) num += e * prev;
      prev = e;
    }
    const phi = rss > 0 ? Math.min(0.95, Math.max(0, num / rss)) : 0;
    this.s2 = rss / Math.max(1, v.length - d);
    this.infl = (1 + phi) / (1 - phi);
  }
  /** One recursive-least-squares step (no forgetting). */
  learn(t: number, v: number): void {
    const d = this.d;
    const x = this.row(t);
    const P = this.P;
    const px = this.px;
    let den = 1;
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += P[a * d + c] * x[c];
      px[a] = s;
      den += x[a] * s;
    }
    let f = 0;
    for (let j = 0; j < d; j++) f += this.w[j] * x[j];
    const e = v - f;
    for (let a = 0; a < d; a++) this.w[a] += (px[a] / den) * e;
    for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) P[a * d + c] -= (px[a] * px[c]) / den;
  }
  clone(): HarmonicFit {
    const h = new HarmonicFit(this.K);
    h.w.set(this.w);
    h.P.set(this.P);
    h.on = this.on;
    h.s2 = this.s2;
    h.infl = this.infl;
    return h;
  }
}

/** A member fed the daily-harmonic residual (the prototype; a third-party detector to the ensemble). */
export class Harmonic44 implements Detector {
  readonly type = 'lab.harmonic44';
  readonly config: { inner: string; K: number; online: boolean; r2: number; pi: boolean; short: boolean };
  private fit: HarmonicFit;
  constructor(
    private readonly inner: Detector,
    K: number,
    private readonly online: boolean,
    private readonly r2: number,
    private readonly pi = false,
    private readonly short = false,
  ) {
    this.config = { inner: inner.type, K, online, r2, pi, short };
    this.fit = new HarmonicFit(K);
  }
  private resid(ts: SeriesLike): TimeSeries {
    const s = toSeries(ts, 'data');
    const v = new Float64Array(s.t.length);
    for (let i = 0; i < v.length; i++)
      v[i] = this.pi ? this.fit.shrunk(s.t[i], s.v[i]) : s.v[i] - this.fit.cycle(s.t[i]);
    return { t: s.t, v };
  }
  train(ts: SeriesLike, opts?: TrainOptions): TimeSeries {
    const s = toSeries(ts, 'train data');
    this.fit = new HarmonicFit(this.fit.K);
    this.fit.fit(s.t, s.v, this.r2);
    // `short`: the harmonics only where the training part spans less than a day (elsewhere the value, as today)
    if (this.short && s.t[s.t.length - 1] - s.t[0] >= DAY) this.fit.on = false;
    return this.inner.train(this.resid(s), opts);
  }
  score(ts: SeriesLike, opts?: ScoreOptions): TimeSeries {
    return this.inner.score(this.resid(ts), opts?.prev ? { prev: this.resid(opts.prev) } : {});
  }
  detect(ts: SeriesLike, opts?: ScoreOptions): { scores: TimeSeries; alarms: AlarmEvent[] } {
    return this.inner.detect(this.resid(ts), opts?.prev ? { prev: this.resid(opts.prev) } : {});
  }
  update(): void {
    throw new Error('Harmonic44: update() is not part of the prototype');
  }
  stream(opts?: StreamOptions): StreamScorer {
    if (opts?.warmup) throw new Error('Harmonic44: no warm-up in the prototype');
    const s = this.inner.stream();
    const h = this.fit.clone();
    const online = this.online;
    const res = this.pi ? (t: number, v: number) => h.shrunk(t, v) : (t: number, v: number) => v - h.cycle(t);
    return {
      push(t: number, v: number) {
        const r = s.push(t, res(t, v));
        if (online) h.learn(t, v);
        return r;
      },
      scoreOne: (t: number, v: number) => s.scoreOne(t, res(t, v)),
      learnOne(t: number, v: number) {
        s.learnOne(t, res(t, v));
        if (online) h.learn(t, v);
      },
      toJSON: () => s.toJSON(),
    };
  }
  toJSON(): ModelJson {
    return { format: 'tsad-model', version: 1, type: this.type, config: this.config, state: null };
  }
}

/** The default's three mean members as `defaultDetector()` builds them (checked against its config below). */
export const memberConfigs = () => {
  const d = defaultDetector().toJSON() as unknown as {
    config: { members: { config: { members: { type: string; config: object }[] } }[] };
  };
  return d.config.members[0].config.members;
};

export function makeHarmonic44(setting: string): () => Detector {
  if (setting === 'today') return () => defaultDetector();
  if (setting === 'rebuilt') {
    // the check of buildWith: the default rebuilt from its own member configs, unwrapped
    const [e, r, z] = memberConfigs();
    return () =>
      buildWith(new EtsDetector(e.config), new RandomCutForest(r.config), new ZmsDetector(z.config));
  }
  const [which, k, mode, r2] = setting.split(':');
  const K = Number(k);
  if (!(which === 'z' || which === 'm') || !(K >= 1 && K <= 6) || !['on', 'off', 'pi', 'pis'].includes(mode))
    throw new Error(`harmonic44: unknown setting ${setting} (z|m:K:on|off|pi|pis[:R2])`);
  const gate = r2 === undefined ? 0 : Number(r2);
  const [etsC, rcfC, zmsC] = memberConfigs();
  const wrap = (d: Detector) =>
    new Harmonic44(
      d,
      K,
      mode !== 'off',
      gate,
      mode === 'pi' || mode === 'pis',
      mode === 'pis',
    ) as unknown as Detector;
  return () =>
    buildWith(
      which === 'm' ? wrap(new EtsDetector(etsC.config)) : new EtsDetector(etsC.config),
      which === 'm' ? wrap(new RandomCutForest(rcfC.config)) : new RandomCutForest(rcfC.config),
      wrap(new ZmsDetector(zmsC.config)),
    );
}

/** `defaultDetector()` with its mean's three members replaced (the rest of its config as it builds it). */
export function buildWith(ets: Detector, rcf: Detector, zms: Detector): Detector {
  const base = defaultDetector();
  const outer = base.toJSON() as unknown as {
    config: { members: { config: Record<string, unknown> }[]; [k: string]: unknown };
  };
  const meanCfg = outer.config.members[0].config;
  const parts = base.members.slice(1) as unknown as Detector[];
  const { members: _m, ...meanRest } = meanCfg;
  const { members: _o, ...outerRest } = outer.config;
  const mean = new Ensemble({ ...(meanRest as object), members: [ets, rcf, zms] } as never);
  return new Ensemble({ ...(outerRest as object), members: [mean, ...parts] } as never);
}

/** The recipes of round 44 (registered in `RECIPES`, src/lab/recipes.ts). */
export const HARMONIC44_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultHarmonic44: {
    build: () => makeHarmonic44('z:1:on')(),
    mapping: 'onlinePeak',
    description:
      'round 44 (lab): defaultDetector() whose ZMS member sees the residual of one daily harmonic fitted on the training part and updated online (recursive least squares)',
  },
  defaultHarmonic44pi: {
    build: () => makeHarmonic44('z:1:pi')(),
    mapping: 'onlinePeak',
    description:
      "round 44 (lab): defaultHarmonic44 with the residual shrunk where the harmonic's prediction is uncertain (a time of day not yet seen)",
  },
  defaultHarmonic44short: {
    build: () => makeHarmonic44('z:1:pis')(),
    mapping: 'onlinePeak',
    description:
      'round 44 (lab): defaultHarmonic44pi only where the training part spans less than a day (elsewhere defaultDetector() bit for bit)',
  },
});

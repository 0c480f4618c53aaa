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
 * member sees the value and the detector is `defaultBefore44()` bit for bit).
 *
 * The wrapper is a third-party `Detector` to the ensemble (`ForeignMember`), so its model file does not
 * load back (type `lab.harmonic44`): benchmarks and `tsad nab run` only. Since harm45 the `on` mode is built
 * into the library as ZmsDetector's `dailyHarmonics` (`DailyHarmonic`, which `HarmonicFit` extends) and is
 * the default: `defaultDetector()` streams the same scores as `defaultHarmonic44` bit for bit
 * (test/detectors/zms-harmonic.test.ts), and the prototype wraps the default before it (`defaultBefore44`). Method: harmonic (Fourier)
 * regression on the time of day as Prophet's seasonality terms use it; recursive least squares and the
 * prediction variance of a linear regression as in any regression text; the AR(1) inflation
 * (1 + φ) / (1 − φ) of a mean's variance under autocorrelated errors.
 */
import { DailyHarmonic } from '../detectors/daily-harmonic.js';
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
import { BEFORE_44_ZMS } from './alarm-paths.js';
import type { Recipe } from './recipes.js';

const DAY = 86_400_000;

/**
 * The daily harmonic model of the prototype: the library's `DailyHarmonic` (ZMS's `dailyHarmonics`, built
 * from this prototype in harm45) with the prototype's R² gate and the prediction-interval shrinkage of `pi`.
 */
export class HarmonicFit extends DailyHarmonic {
  /** Training residual variance and the AR(1) variance inflation (1 + φ) / (1 − φ) of its residuals. */
  s2 = 0;
  infl = 1;
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
  /** `DailyHarmonic.fit`, then the R² gate `r2Gate` and the training residuals' variance and AR(1) inflation. */
  fitGated(t: ArrayLike<number>, v: ArrayLike<number>, r2Gate: number): void {
    this.fit(t, v);
    const d = this.d;
    let m = 0;
    for (let i = 0; i < v.length; i++) m += v[i];
    m /= v.length;
    let ss = 0;
    let rss = 0;
    // lag-1 autocorrelation of the training residuals (time order), clamped to [0, 0.95]
    let num = 0;
    let prev = Number.NaN;
    for (let i = 0; i < v.length; i++) {
      ss += (v[i] - m) * (v[i] - m);
      const x = this.row(t[i]);
      let f = 0;
      for (let j = 0; j < d; j++) f += this.w[j] * x[j];
      const e = v[i] - f;
      rss += e ** 2;
      if (i > 0) num += e * prev;
      prev = e;
    }
    this.on = ss > 0 && 1 - rss / ss >= r2Gate;
    const phi = rss > 0 ? Math.min(0.95, Math.max(0, num / rss)) : 0;
    this.s2 = rss / Math.max(1, v.length - d);
    this.infl = (1 + phi) / (1 - phi);
  }
  override copy(): HarmonicFit {
    const h = new HarmonicFit(this.K).copyFrom(this);
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
    this.fit.fitGated(s.t, s.v, this.r2);
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
    const h = this.fit.copy();
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

/**
 * `defaultDetector()` before round 44 was built into it (harm45): its ZMS member on the value itself. The
 * prototype's baseline (`today`) and what its wrapper wraps.
 */
export function defaultBefore44(seed = 0): Ensemble {
  return defaultDetector({ seed, zms: BEFORE_44_ZMS });
}

/** The three mean members of the default before round 44 (checked against its config below). */
export const memberConfigs = () => {
  const d = defaultBefore44().toJSON() as unknown as {
    config: { members: { config: { members: { type: string; config: object }[] } }[] };
  };
  return d.config.members[0].config.members;
};

export function makeHarmonic44(setting: string): () => Detector {
  if (setting === 'today') return () => defaultBefore44();
  if (setting === 'built') return () => defaultDetector();
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
  const base = defaultBefore44();
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
  defaultBefore44: {
    build: (o) => defaultBefore44(o.seed ?? 0),
    mapping: 'onlinePeak',
    description:
      "defaultDetector() before round 44 was built in (harm45): its ZMS member on the value, no daily harmonic (`default`'s recipe until harm45)",
  },
  defaultHarmonic44: {
    build: () => makeHarmonic44('z:1:on')(),
    mapping: 'onlinePeak',
    description:
      'round 44 (lab prototype): defaultBefore44 whose ZMS member, wrapped, sees the residual of one daily harmonic fitted on the training part and updated online (recursive least squares); the default since harm45 (built into ZMS, the same scores bit for bit)',
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
      'round 44 (lab): defaultHarmonic44pi only where the training part spans less than a day (elsewhere defaultBefore44 bit for bit)',
  },
});

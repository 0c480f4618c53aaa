import { DetectorError, ModelFormatError } from '../../errors.js';
import { inferGranularity } from '../../series/ops.js';
import type { TimeSeries } from '../../series/types.js';
import { formatTime } from '../input.js';
import type { JsonObject } from '../types.js';
import { type AutoEtsCandidate, type AutoEtsOptions, autoEts } from './auto.js';
import { hasAnalyticVariance, VarianceSimulator, varianceFactor } from './forecast.js';
import {
  type EtsComponent,
  type EtsError,
  type EtsModel,
  type EtsParams,
  type EtsSpec,
  fitEts,
  normalizeSpec,
  specName,
} from './model.js';

/** What the ETS scorer needs from its detector's config. */
export interface EtsCoreConfig {
  error: EtsError;
  trend: EtsComponent;
  damped: boolean;
  seasonal: EtsComponent;
  /** Seasonal period; null → non-seasonal (unless `auto`). */
  seasonalPeriods: number | null;
  /** Select the model with AutoETS (seasonality detection + information criterion). */
  auto: boolean;
  autoOptions: Omit<AutoEtsOptions, 'base'>;
  /**
   * 'stream' (default): score each point one step ahead and update the state with it.
   * 'reference': Merlion's behaviour, every point forecast from the end of training.
   */
  mode: 'stream' | 'reference';
  /** Grid step in ms; null → the most common gap of the training timestamps. */
  granularityMs: number | null;
  /** Simulated paths for variances without a closed form (reference mode). */
  simulations: number;
  /** Reference mode: the longest horizon allowed (null = any). */
  maxForecastSteps: number | null;
  seed: number;
}

/** Largest number of grid points filled by interpolation inside one gap. */
const MAX_GAP_FILL = 100_000;
/** Longest reference-mode horizon (analytic variances) and with simulated variances. */
const MAX_REF_HORIZON = 1_000_000;
const MAX_SIM_HORIZON = 100_000;

const EPS = 2.220446049250313e-16;

/**
 * How far apart, in units of the largest value's last place (ε·max|y|), the one-step changes of a series
 * may be and the series still count as a straight line: a line computed as `a + b·i` in float64 keeps its
 * changes within 8 (each value rounded twice, each change once), linear gap filling adds a few more.
 */
const LINE_ULPS = 16;

/**
 * Refuses training data that gives ETS no scale to score against (`tiny_scale`), judged on the data
 * (docs/ets.md, Scoring: "Near-exact fits"): a constant or a straight line, i.e. one-step changes
 * `y_t − y_{t−1}` all equal within rounding (`LINE_ULPS`); with multiplicative error (σ relative) also a
 * constant growth rate, ratios `y_t / y_{t−1}` all equal within rounding. Such a series has no variation
 * beyond a level and a fixed step: a model that follows it does so exactly, and a z-score of any later
 * change would be in units of rounding (the floor `errorScaleFloor` would be 0 for a constant). A series
 * whose changes vary trains whatever the fit's one-step error: an exactly periodic one (a noise-free
 * sine) may fit to σ = 0, and scores with σ̂ raised to the floor. Run before the fit (a model with a
 * multiplicative trend may fail to fit a line at all). O(n), no allocation.
 */
function checkErrorScale(y: Float64Array, relative: boolean): void {
  const n = y.length;
  let amax = 0;
  let dmin = Number.POSITIVE_INFINITY;
  let dmax = Number.NEGATIVE_INFINITY;
  let qmin = Number.POSITIVE_INFINITY;
  let qmax = Number.NEGATIVE_INFINITY;
  let qabs = 0;
  for (let i = 0; i < n; i++) {
    amax = Math.max(amax, Math.abs(y[i]));
    if (i === 0) continue;
    const d = y[i] - y[i - 1];
    dmin = Math.min(dmin, d);
    dmax = Math.max(dmax, d);
    if (relative && y[i - 1] !== 0) {
      const q = y[i] / y[i - 1];
      qmin = Math.min(qmin, q);
      qmax = Math.max(qmax, q);
      qabs = Math.max(qabs, Math.abs(q));
    }
  }
  const tol = LINE_ULPS * EPS * amax;
  let what: string | null = null;
  if (dmax - dmin <= tol) {
    what = Math.max(Math.abs(dmin), Math.abs(dmax)) <= tol ? 'are constant' : 'are a straight line';
  } else if (relative && qmax - qmin <= LINE_ULPS * EPS * qabs) {
    what = `grow at a constant rate (ratio ${qmin} from one point to the next)`;
  }
  if (what !== null) {
    throw new DetectorError(
      'tiny_scale',
      `the ${n} training points ${what}: every one-step ${what.startsWith('grow') ? 'ratio' : 'change'} is the same within rounding, so ETS has no variation to measure surprise against and scores would have no scale; train on data with some noise`,
    );
  }
}

/** Whether the model `EtsCore.train` fits may have multiplicative error (the configured one, or AutoETS's search). */
function mayFitMultiplicativeError(cfg: EtsCoreConfig): boolean {
  const o = cfg.autoOptions;
  if (cfg.auto && o.additiveOnly) return false;
  return cfg.auto && o.error !== false ? true : cfg.error === 'mul';
}

/** √ε of float64 (docs/ets.md, Scoring: "Near-exact fits"). */
const SQRT_EPS = Math.sqrt(EPS);

/**
 * The floor on the one-step error scale σ̂ (docs/ets.md, Scoring: "Near-exact fits"): √ε times the RMS of
 * the training part's one-step changes, i.e. of the naive last-value forecast's errors (relative changes
 * `Δy / |y_{t−1}|` with multiplicative error, whose σ is relative). A one-step forecast that beats the
 * naive one by more than 1/√ε (6.7e7) has predicted the series to the precision of a float64 difference:
 * its residuals are the optimiser's leftovers, not the data's noise, and z-scores in their units measure
 * nothing. Unchanged by a shift of the data and scaled with it (additive error), unlike a floor on the
 * level, which would swallow real noise on a series far from 0 (a counter near 1e12).
 */
function errorScaleFloor(y: Float64Array, relative: boolean): number {
  let ss = 0;
  let k = 0;
  for (let i = 1; i < y.length; i++) {
    const prev = y[i - 1];
    if (relative) {
      if (prev === 0) continue;
      ss += ((y[i] - prev) / prev) ** 2;
    } else ss += (y[i] - prev) ** 2;
    k++;
  }
  return k ? SQRT_EPS * Math.sqrt(ss / k) : 0;
}

/**
 * The fitted ETS model plus its running state: the hot path of `EtsDetector`.
 * Gaps of k grid steps between consecutive points are filled with k − 1 linearly interpolated
 * values (which update the state, unscored), in batch and stream alike.
 */
export class EtsCore {
  spec!: EtsSpec;
  params!: EtsParams;
  mse = 0;
  llf = 0;
  aic = 0;
  aicc = 0;
  bic = 0;
  nobs = 0;
  granularity = 1;
  /** AutoETS results (empty when the model was given). */
  candidates: AutoEtsCandidate[] = [];
  // state at the end of training (reference mode)
  trainEndT = 0;
  trainLevel = 0;
  trainTrend = 0;
  trainSeasonal: Float64Array = new Float64Array(1);
  // live state
  lastT = 0;
  lastV = 0;
  level = 0;
  trend = 0;
  /** Ring buffer, `sea[pos]` = s_{t−m} for the next point. */
  sea: Float64Array = new Float64Array(1);
  pos = 0;
  // cached flags/constants for the hot path
  private tk = 0;
  private sk = 0;
  private mulErr = false;
  private m = 1;
  private alpha = 0;
  private bs = 0;
  private gs = 0;
  private phi = 1;
  private sigma = 0;
  /**
   * The floor σ̂ was raised to (`errorScaleFloor`), 0 when the fit's own √mse is at or above it (then
   * scores are exactly those of √mse). Saved in the model file only when set.
   */
  sigmaFloor = 0;
  /** The error variance the reference mode's forecast variances scale: mse, or sigmaFloor² when set. */
  private errVar = 0;
  private sim: VarianceSimulator | null = null;
  private refMean = new Float64Array(0);
  private refSd = new Float64Array(0);
  private refHorizon = 0;

  constructor(readonly config: EtsCoreConfig) {}

  /** Fits the model on `ts`; returns the in-sample one-step z-scores at the input timestamps. */
  train(ts: TimeSeries): TimeSeries {
    const cfg = this.config;
    const n = ts.t.length;
    if (n < 2) {
      throw new DetectorError('ets_too_short', `ETS needs at least 2 training points, got ${n}`);
    }
    this.granularity = cfg.granularityMs ?? inferGranularity(ts.t);
    // Grid the training data (gap filling), remembering where the original points are.
    const grid: number[] = [ts.v[0]];
    const orig: number[] = [0];
    for (let i = 1; i < n; i++) {
      const k = this.steps(ts.t[i] - ts.t[i - 1]);
      for (let j = 1; j < k; j++) grid.push(ts.v[i - 1] + ((ts.v[i] - ts.v[i - 1]) * j) / k);
      grid.push(ts.v[i]);
      orig.push(grid.length - 1);
    }
    const y = Float64Array.from(grid);
    checkErrorScale(y, mayFitMultiplicativeError(cfg));
    let model: EtsModel;
    if (cfg.auto) {
      const r = autoEts(y, { ...cfg.autoOptions, base: this.baseSpec(cfg.seasonalPeriods ?? 1) });
      model = r.model;
      this.candidates = r.candidates;
    } else {
      model = fitEts(y, this.baseSpec(cfg.seasonalPeriods ?? 1));
      this.candidates = [];
    }
    this.setModel(model.spec, model.params, model.mse);
    const floor = errorScaleFloor(y, this.mulErr);
    if (floor > this.sigma) this.setSigmaFloor(floor);
    this.llf = model.llf;
    this.aic = model.aic;
    this.aicc = model.aicc;
    this.bic = model.bic;
    this.nobs = model.nobs;
    const m = this.m;
    this.level = model.state.level;
    this.trend = model.state.trend;
    this.sea = new Float64Array(m);
    if (this.sk) this.sea.set(model.state.seasonal);
    this.pos = 0;
    this.lastT = ts.t[n - 1];
    this.lastV = ts.v[n - 1];
    this.saveTrainEnd();
    const out = new Float64Array(n);
    const fitted = model.fitted;
    for (let i = 0; i < n; i++) {
      const g = orig[i];
      const sd = this.mulErr ? Math.abs(fitted[g]) * this.sigma : this.sigma;
      out[i] = (y[g] - fitted[g]) / (sd + 1e-8);
    }
    return { t: ts.t.slice(), v: out };
  }

  private baseSpec(period: number): EtsSpec {
    const c = this.config;
    const seasonal = period > 1 ? c.seasonal : null;
    return normalizeSpec({ error: c.error, trend: c.trend, damped: c.damped, seasonal, period });
  }

  /** Number of grid steps covered by a time difference (at least 1). */
  private steps(dt: number): number {
    const k = Math.max(1, Math.round(dt / this.granularity));
    if (k > MAX_GAP_FILL) {
      throw new DetectorError(
        'ets_gap_too_long',
        `a gap of ${k} grid steps (${dt} ms at ${this.granularity} ms) is too long to bridge; resample the data or retrain`,
      );
    }
    return k;
  }

  setModel(spec: EtsSpec, params: EtsParams, mse: number): void {
    this.spec = spec;
    this.params = params;
    this.mse = mse;
    this.tk = spec.trend === 'add' ? 1 : spec.trend === 'mul' ? 2 : 0;
    this.sk = spec.seasonal === 'add' ? 1 : spec.seasonal === 'mul' ? 2 : 0;
    this.mulErr = spec.error === 'mul';
    this.m = this.sk ? spec.period : 1;
    this.alpha = params.alpha;
    this.bs = spec.trend ? params.beta / params.alpha : 0;
    this.gs = spec.seasonal ? params.gamma / (1 - params.alpha) : 0;
    this.phi = params.phi;
    this.sigma = Math.sqrt(mse);
    this.errVar = mse;
    this.sigmaFloor = 0;
    this.sim = null;
    this.refHorizon = 0;
  }

  /** Scores with σ̂ = `floor` (> √mse) instead of √mse (see `errorScaleFloor`). */
  private setSigmaFloor(floor: number): void {
    this.sigmaFloor = floor;
    this.sigma = floor;
    this.errVar = floor * floor;
    this.sim = null;
    this.refHorizon = 0;
  }

  private saveTrainEnd(): void {
    this.trainEndT = this.lastT;
    this.trainLevel = this.level;
    this.trainTrend = this.trend;
    this.trainSeasonal = this.seasonalOldestFirst();
  }

  /** The live seasonal states, oldest first. */
  seasonalOldestFirst(): Float64Array {
    const m = this.m;
    const out = new Float64Array(m);
    for (let j = 0; j < m; j++) out[j] = this.sea[(this.pos + j) % m];
    return out;
  }

  /** One-step forecast from the live state. */
  private forecast1(): number {
    let v: number;
    if (this.tk === 1) v = this.level + this.phi * this.trend;
    else if (this.tk === 2) v = this.level * this.trend ** this.phi;
    else v = this.level;
    if (this.sk === 1) v += this.sea[this.pos];
    else if (this.sk === 2) v *= this.sea[this.pos];
    return v;
  }

  /** Error-correction update of the live state with observation y. */
  private update(y: number): void {
    const l = this.level;
    let lb: number;
    let bphi = 0;
    if (this.tk === 1) {
      bphi = this.phi * this.trend;
      lb = l + bphi;
    } else if (this.tk === 2) {
      bphi = this.trend ** this.phi;
      lb = l * bphi;
    } else lb = l;
    const a = this.alpha;
    let lNew: number;
    if (this.sk === 0) {
      lNew = a * y + (1 - a) * lb;
    } else {
      const s = this.sea[this.pos];
      if (this.sk === 1) {
        lNew = a * (y - s) + (1 - a) * lb;
        this.sea[this.pos] = this.gs * (y - lNew) + (1 - this.gs) * s;
      } else {
        lNew = a * (y / s) + (1 - a) * lb;
        this.sea[this.pos] = this.gs * (y / lNew) + (1 - this.gs) * s;
      }
      this.pos = this.pos + 1 === this.m ? 0 : this.pos + 1;
    }
    if (this.tk === 1) this.trend = this.bs * (lNew - l) + (1 - this.bs) * bphi;
    else if (this.tk === 2) this.trend = this.bs * (lNew / l) + (1 - this.bs) * bphi;
    this.level = lNew;
  }

  /** Absorbs a point without scoring it (context). Points at or before the live time are skipped. */
  absorb(t: number, v: number): void {
    if (t <= this.lastT) return;
    const k = this.steps(t - this.lastT);
    for (let j = 1; j < k; j++) this.update(this.lastV + ((v - this.lastV) * j) / k);
    this.update(v);
    this.lastT = t;
    this.lastV = v;
  }

  private undoSea: Float64Array = new Float64Array(0);
  private undoLevel = 0;
  private undoTrend = 0;
  private undoPos = 0;
  private undoT = 0;
  private undoV = 0;

  /** Saves the live state into fixed scratch space (a one-step undo log). */
  private markLive(): void {
    if (this.undoSea.length !== this.sea.length) this.undoSea = new Float64Array(this.sea.length);
    this.undoSea.set(this.sea);
    this.undoLevel = this.level;
    this.undoTrend = this.trend;
    this.undoPos = this.pos;
    this.undoT = this.lastT;
    this.undoV = this.lastV;
  }

  private rollbackLive(): void {
    this.sea.set(this.undoSea);
    this.level = this.undoLevel;
    this.trend = this.undoTrend;
    this.pos = this.undoPos;
    this.lastT = this.undoT;
    this.lastV = this.undoV;
  }

  /** Whether a point at `t` lies beyond the longest gap the live state can bridge (stream mode). */
  gapTooLong(t: number): boolean {
    return this.config.mode === 'stream' && Math.round((t - this.lastT) / this.granularity) > MAX_GAP_FILL;
  }

  /** After a gap: the next point is taken as the next grid step (nothing is interpolated). */
  skipGap(t: number): void {
    this.lastT = t - this.granularity;
  }

  /**
   * Whether `push(t, v)` surely cannot throw: one grid step, and every magnitude the step touches far
   * from overflow (then the forecast and the z-score are finite). Saves the dry run of `peek`.
   */
  surelyFinite(t: number, v: number): boolean {
    const B = 1e100;
    if (this.config.mode !== 'stream') return false;
    if (Math.max(1, Math.round((t - this.lastT) / this.granularity)) !== 1) return false;
    const s = this.sk ? this.sea[this.pos] : 0;
    return (
      Math.abs(v) < B &&
      Math.abs(this.level) < B &&
      Math.abs(this.trend) < B &&
      Math.abs(s) < B &&
      this.sigma < B &&
      Number.isFinite(this.sigma)
    );
  }

  /** The score `push(t, v)` would give (throwing what it would throw), with the state unchanged. */
  peek(t: number, v: number, gap: boolean): number {
    if (this.config.mode === 'reference') return this.referenceScore(t, v);
    this.markLive();
    try {
      if (gap) this.skipGap(t);
      return this.push(t, v);
    } finally {
      this.rollbackLive();
    }
  }

  /** An independent copy of the model and its live state. */
  copy(): EtsCore {
    // a constructed object keeps the class's shape (fast property access on the hot path)
    const c = Object.assign(new EtsCore(this.config), this);
    c.sea = this.sea.slice();
    c.undoSea = new Float64Array(this.sea.length);
    return c;
  }

  /** Scores one point. Stream mode: one step ahead, then the state absorbs it. */
  push(t: number, v: number): number {
    if (this.config.mode === 'reference') return this.referenceScore(t, v);
    const k = this.steps(t - this.lastT);
    for (let j = 1; j < k; j++) this.update(this.lastV + ((v - this.lastV) * j) / k);
    const f = this.forecast1();
    const sd = this.mulErr ? Math.abs(f) * this.sigma : this.sigma;
    const z = (v - f) / (sd + 1e-8);
    this.update(v);
    this.lastT = t;
    this.lastV = v;
    if (!Number.isFinite(z)) {
      throw new DetectorError(
        'ets_non_finite_score',
        `ETS score at t=${formatTime(t)} is not finite (forecast ${f}); the data left the model's range: retrain`,
      );
    }
    return z;
  }

  /** Merlion's scoring: (y − ŷ_h)/(√var_h + 1e-8), h = grid steps since the end of training. */
  private referenceScore(t: number, v: number): number {
    const h = Math.max(1, Math.round((t - this.trainEndT) / this.granularity));
    const max = this.config.maxForecastSteps;
    const cap = hasAnalyticVariance(this.spec) ? MAX_REF_HORIZON : MAX_SIM_HORIZON;
    if (h > cap) {
      throw new DetectorError(
        'ets_horizon',
        `t=${formatTime(t)} is ${h} steps after training; reference mode forecasts at most ${cap} steps for ${specName(this.spec)}: retrain closer to the data or use mode 'stream'`,
      );
    }
    if (max !== null && h > max) {
      throw new DetectorError(
        'ets_horizon',
        `t=${formatTime(t)} is ${h} steps after training, beyond maxForecastSteps = ${max}; raise it or use mode 'stream'`,
      );
    }
    if (h > this.refHorizon) this.extendReference(h);
    const z = (v - this.refMean[h - 1]) / this.refSd[h - 1];
    if (!Number.isFinite(z)) {
      throw new DetectorError(
        'ets_non_finite_score',
        `ETS reference score at t=${formatTime(t)} is not finite; retrain`,
      );
    }
    return z;
  }

  /** Caches forecast means and √var + 1e-8 for horizons up to at least h (grown by doubling). */
  private extendReference(h: number): void {
    const H = Math.max(h, Math.min(2 * this.refHorizon, MAX_REF_HORIZON), 64);
    const mean = new Float64Array(H);
    const sd = new Float64Array(H);
    mean.set(this.refMean.subarray(0, this.refHorizon));
    sd.set(this.refSd.subarray(0, this.refHorizon));
    for (let k = this.refHorizon + 1; k <= H; k++) {
      mean[k - 1] = this.referenceMean(k);
      sd[k - 1] = Math.sqrt(this.referenceVariance(k)) + 1e-8;
    }
    this.refMean = mean;
    this.refSd = sd;
    this.refHorizon = H;
  }

  /** h-step point forecast from the end of training. */
  referenceMean(h: number): number {
    const phi = this.phi;
    const phiSum = this.spec.damped ? (phi * (1 - phi ** h)) / (1 - phi) : h;
    let v: number;
    if (this.tk === 1) v = this.trainLevel + phiSum * this.trainTrend;
    else if (this.tk === 2) v = this.trainLevel * this.trainTrend ** phiSum;
    else v = this.trainLevel;
    if (this.sk) {
      const s = this.trainSeasonal[(h - 1) % this.m];
      v = this.sk === 1 ? v + s : v * s;
    }
    return v;
  }

  /** h-step forecast variance from the end of training (analytic or seeded simulation). */
  referenceVariance(h: number): number {
    if (hasAnalyticVariance(this.spec)) return this.errVar * varianceFactor(this.spec, this.params, h);
    if (this.sim === null) {
      this.sim = new VarianceSimulator(
        this.spec,
        this.params,
        { level: this.trainLevel, trend: this.trainTrend, seasonal: this.trainSeasonal },
        this.errVar,
        this.config.simulations,
        this.config.seed,
      );
    }
    if (this.sim.horizon < h) this.sim.extendTo(Math.max(h, Math.min(2 * this.sim.horizon, MAX_SIM_HORIZON)));
    return this.sim.variance(h);
  }

  /** Batch scores: absorbs `prev`, then pushes every point (exactly the stream's numbers). */
  score(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    if (prev && this.config.mode === 'stream') {
      for (let i = 0; i < prev.t.length; i++) this.absorb(prev.t[i], prev.v[i]);
    }
    const n = ts.t.length;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.push(ts.t[i], ts.v[i]);
    return { t: ts.t.slice(), v: out };
  }

  /** A short description, e.g. "AAdA(m=3)". */
  describe(): string {
    return `${specName(this.spec)}${this.spec.seasonal ? `(m=${this.spec.period})` : ''}`;
  }

  toJSON(): JsonObject {
    const p = this.params;
    const out: JsonObject = {
      spec: {
        error: this.spec.error,
        trend: this.spec.trend,
        damped: this.spec.damped,
        seasonal: this.spec.seasonal,
        period: this.spec.period,
      },
      params: {
        alpha: p.alpha,
        beta: p.beta,
        gamma: p.gamma,
        phi: p.phi,
        level: p.level,
        trend: p.trend,
        seasonal: [...p.seasonal],
      },
      mse: this.mse,
      nobs: this.nobs,
      llf: this.llf,
      aic: this.aic,
      aicc: Number.isFinite(this.aicc) ? this.aicc : null,
      bic: this.bic,
      granularityMs: this.granularity,
      candidates: this.candidates.map((c) => ({
        name: c.name,
        llf: c.llf,
        aic: c.aic,
        aicc: Number.isFinite(c.aicc) ? c.aicc : null,
        bic: c.bic,
      })),
      trainEnd: {
        t: this.trainEndT,
        level: this.trainLevel,
        trend: this.trainTrend,
        seasonal: [...this.trainSeasonal],
      },
      live: {
        t: this.lastT,
        v: this.lastV,
        level: this.level,
        trend: this.trend,
        seasonal: [...this.seasonalOldestFirst()],
      },
    };
    // written only when set, so model files of fits above the floor stay as they were
    if (this.sigmaFloor > 0) out.sigmaFloor = this.sigmaFloor;
    return out;
  }

  /** Restores `toJSON()` output, validating every field (ModelFormatError naming it). */
  restore(state: unknown, path: string): void {
    const obj = (x: unknown, p: string): Record<string, unknown> => {
      if (x === null || typeof x !== 'object' || Array.isArray(x)) {
        throw new ModelFormatError('bad_field', `${p}: expected an object`);
      }
      return x as Record<string, unknown>;
    };
    const num = (o: Record<string, unknown>, k: string, p: string, lo = -Infinity, hi = Infinity): number => {
      const v = o[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
        throw new ModelFormatError('bad_field', `${p}.${k}: expected a finite number in [${lo}, ${hi}]`);
      }
      return v;
    };
    const arr = (o: Record<string, unknown>, k: string, p: string, len: number): number[] => {
      const v = o[k];
      if (
        !Array.isArray(v) ||
        v.length !== len ||
        !v.every((x) => typeof x === 'number' && Number.isFinite(x))
      ) {
        throw new ModelFormatError('bad_field', `${p}.${k}: expected ${len} finite numbers`);
      }
      return v as number[];
    };
    const s = obj(state, path);
    const sp = obj(s.spec, `${path}.spec`);
    const comp = (k: string): EtsComponent => {
      const v = sp[k];
      if (v !== 'add' && v !== 'mul' && v !== null) {
        throw new ModelFormatError('bad_field', `${path}.spec.${k}: expected "add", "mul" or null`);
      }
      return v;
    };
    if (sp.error !== 'add' && sp.error !== 'mul') {
      throw new ModelFormatError('bad_field', `${path}.spec.error: expected "add" or "mul"`);
    }
    if (typeof sp.damped !== 'boolean')
      throw new ModelFormatError('bad_field', `${path}.spec.damped: expected a boolean`);
    const period = num(sp, 'period', `${path}.spec`, 1, 100_000);
    if (!Number.isInteger(period))
      throw new ModelFormatError('bad_field', `${path}.spec.period: expected an integer`);
    let spec: EtsSpec;
    try {
      spec = normalizeSpec({
        error: sp.error,
        trend: comp('trend'),
        damped: sp.damped,
        seasonal: comp('seasonal'),
        period,
      });
    } catch (e) {
      throw new ModelFormatError('bad_field', `${path}.spec: ${(e as Error).message}`);
    }
    if (spec.period !== period || spec.damped !== sp.damped) {
      throw new ModelFormatError('bad_field', `${path}.spec: period/damped inconsistent with trend/seasonal`);
    }
    const m = spec.seasonal ? spec.period : 1;
    const pp = obj(s.params, `${path}.params`);
    const pth = `${path}.params`;
    const params: EtsParams = {
      alpha: num(pp, 'alpha', pth, 1e-12, 1),
      beta: num(pp, 'beta', pth, 0, 1),
      gamma: num(pp, 'gamma', pth, 0, 1),
      phi: num(pp, 'phi', pth, 0, 1),
      level: num(pp, 'level', pth),
      trend: num(pp, 'trend', pth),
      seasonal: arr(pp, 'seasonal', pth, spec.seasonal ? m : 0),
    };
    if (spec.seasonal && params.alpha >= 1) {
      throw new ModelFormatError('bad_field', `${pth}.alpha: must be < 1 for a seasonal model`);
    }
    if (spec.damped && params.phi >= 1)
      throw new ModelFormatError('bad_field', `${pth}.phi: must be < 1 when damped`);
    const mse = num(s, 'mse', path, 0);
    this.setModel(spec, params, mse);
    // files of older builds carry no floor: they score with √mse, as they did
    if (s.sigmaFloor !== undefined) {
      const f = s.sigmaFloor;
      if (!(typeof f === 'number' && Number.isFinite(f) && f > Math.sqrt(mse))) {
        throw new ModelFormatError(
          'bad_field',
          `${path}.sigmaFloor: expected a finite number above √mse (${Math.sqrt(mse)}), or no field`,
        );
      }
      this.setSigmaFloor(f);
    }
    this.nobs = num(s, 'nobs', path, 0);
    this.llf = num(s, 'llf', path);
    this.aic = num(s, 'aic', path);
    this.aicc = s.aicc === null ? Number.POSITIVE_INFINITY : num(s, 'aicc', path);
    this.bic = num(s, 'bic', path);
    this.granularity = num(s, 'granularityMs', path, Number.MIN_VALUE);
    if (!Array.isArray(s.candidates))
      throw new ModelFormatError('bad_field', `${path}.candidates: expected an array`);
    this.candidates = s.candidates.map((c, i) => {
      const co = obj(c, `${path}.candidates[${i}]`);
      const cp = `${path}.candidates[${i}]`;
      if (typeof co.name !== 'string')
        throw new ModelFormatError('bad_field', `${cp}.name: expected a string`);
      return {
        name: co.name,
        spec,
        llf: num(co, 'llf', cp),
        aic: num(co, 'aic', cp),
        aicc: co.aicc === null ? Number.POSITIVE_INFINITY : num(co, 'aicc', cp),
        bic: num(co, 'bic', cp),
      };
    });
    const te = obj(s.trainEnd, `${path}.trainEnd`);
    this.trainEndT = num(te, 't', `${path}.trainEnd`);
    this.trainLevel = num(te, 'level', `${path}.trainEnd`);
    this.trainTrend = num(te, 'trend', `${path}.trainEnd`);
    this.trainSeasonal = Float64Array.from(arr(te, 'seasonal', `${path}.trainEnd`, m));
    const lv = obj(s.live, `${path}.live`);
    this.lastT = num(lv, 't', `${path}.live`);
    this.lastV = num(lv, 'v', `${path}.live`);
    this.level = num(lv, 'level', `${path}.live`);
    this.trend = num(lv, 'trend', `${path}.live`);
    this.sea = Float64Array.from(arr(lv, 'seasonal', `${path}.live`, m));
    this.pos = 0;
  }
}

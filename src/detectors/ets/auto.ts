import { DetectorError } from '../../errors.js';
import { type EtsComponent, type EtsError, type EtsModel, type EtsSpec, fitEts, specName } from './model.js';
import { isHolt, type PeriodicityStrategy, seasonalityAndHolt } from './seasonality.js';

export type InformationCriterion = 'aic' | 'aicc' | 'bic';

export interface AutoEtsOptions {
  /** Detect the seasonal period (else use `base.period`). Default true. */
  seasonality?: boolean;
  /** Search the error type (else `base.error`). Default true. */
  error?: boolean;
  /** Search the trend (else `base.trend`). Default true. */
  trend?: boolean;
  /** Search the seasonal type (else `base.seasonal`). Default true. */
  seasonal?: boolean;
  /** Search damping (else `base.damped`). Default true. */
  damped?: boolean;
  strategy?: Exclude<PeriodicityStrategy, 'all'>;
  ic?: InformationCriterion;
  additiveOnly?: boolean;
  allowMultiplicativeTrend?: boolean;
  /** Skip the unstable combinations (A·M trend, A·M season, M·M trend·A season). Default true. */
  restrict?: boolean;
  pval?: number;
  maxLag?: number | null;
  /** The wrapped model's settings, used where searching is disabled. */
  base?: Partial<EtsSpec>;
}

export interface AutoEtsCandidate {
  readonly name: string;
  readonly spec: EtsSpec;
  readonly llf: number;
  readonly aic: number;
  readonly aicc: number;
  readonly bic: number;
}

export interface AutoEtsResult {
  /** The detected (or given) seasonal period; 1 when non-seasonal. */
  readonly period: number;
  /** Every candidate fitted, in grid order. */
  readonly candidates: AutoEtsCandidate[];
  /** The selected fitted model. */
  readonly model: EtsModel;
}

/** The candidate grid (docs/ets.md, What is implemented), in grid order. */
export function candidateGrid(y: ArrayLike<number>, period: number, opts: AutoEtsOptions = {}): EtsSpec[] {
  const base = opts.base ?? {};
  let nonPos = false;
  for (let i = 0; i < y.length; i++) if (y[i] <= 0) nonPos = true;
  let E: EtsError[] = nonPos ? ['add'] : ['add', 'mul'];
  let T: EtsComponent[] = opts.allowMultiplicativeTrend && !nonPos ? ['add', 'mul', null] : ['add', null];
  let m = period;
  let S: EtsComponent[];
  if (m <= 1 || y.length <= m) {
    m = 1;
    S = [null];
  } else S = nonPos ? ['add'] : ['add', 'mul'];
  let D = [true, false];
  if (opts.error === false) E = [base.error ?? 'add'];
  if (opts.trend === false) T = [base.trend === undefined ? 'add' : base.trend];
  if (opts.seasonal === false) S = [m > 1 ? (base.seasonal === undefined ? 'add' : base.seasonal) : null];
  if (opts.damped === false) D = [base.damped ?? true];
  const restrict = opts.restrict ?? true;
  const out: EtsSpec[] = [];
  for (const error of E) {
    for (const trend of T) {
      for (const seasonal of S) {
        for (const damped of D) {
          if (trend === null && damped) continue;
          if (opts.additiveOnly && (error === 'mul' || trend === 'mul' || seasonal === 'mul')) continue;
          if (restrict) {
            if (error === 'add' && (trend === 'mul' || seasonal === 'mul')) continue;
            if (error === 'mul' && trend === 'mul' && seasonal === 'add') continue;
          }
          out.push({ error, trend, damped: trend ? damped : false, seasonal, period: seasonal ? m : 1 });
        }
      }
    }
  }
  return out;
}

/**
 * AutoETS (docs/ets.md, What is implemented): detect the seasonal period, fit every candidate of the grid by
 * maximum likelihood and keep the first with the strictly smallest information criterion.
 */
export function autoEts(y: ArrayLike<number>, opts: AutoEtsOptions = {}): AutoEtsResult {
  if (y.length < 3) {
    throw new DetectorError('ets_too_short', `AutoETS needs at least 3 points, got ${y.length}`);
  }
  const found =
    opts.seasonality === false
      ? null
      : seasonalityAndHolt(y, {
          maxLag: opts.maxLag ?? null,
          pval: opts.pval ?? 0.05,
          strategy: opts.strategy ?? 'acf',
        });
  const period = found === null ? (opts.base?.period ?? 1) : found.periods[0];
  // the period search has fitted the additive Holt model already (the same deterministic fit)
  const holt = found?.holt ?? null;
  const grid = candidateGrid(y, period, opts);
  const ic = opts.ic ?? 'aic';
  const candidates: AutoEtsCandidate[] = [];
  let best: EtsModel | null = null;
  for (const spec of grid) {
    const model = holt !== null && isHolt(spec) ? holt : fitEts(y, spec);
    candidates.push({
      name: specName(spec),
      spec,
      llf: model.llf,
      aic: model.aic,
      aicc: model.aicc,
      bic: model.bic,
    });
    if (best === null || model.ic(ic) < best.ic(ic)) best = model;
  }
  if (best === null)
    throw new DetectorError('ets_empty_grid', 'the AutoETS grid is empty; enable at least one candidate');
  return {
    period: best.spec.seasonal ? best.spec.period : period > 1 && y.length > period ? period : 1,
    candidates,
    model: best,
  };
}

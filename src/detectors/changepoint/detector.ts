/**
 * `ChangePointDetector`: level shifts and drifts, as a robust two-sided CUSUM on seasonal residuals
 * (core.ts; method and sources in docs/detectors-quality.md). Online: every scored point updates the sums.
 *
 * The score is the CUSUM in units of its decision level, `ALARM_Z · S / h`: no calibrator (the CUSUM on
 * standardised residuals is calibrated by construction), so the default alarm threshold (3) fires exactly
 * when `S` passes `h`, the test's own decision rule. A calibrator trained on the short training part
 * ranked every excursion longer than the training ones as extreme, and alarmed on anomaly-free series.
 */
import { z } from 'zod';
import { clampFinite } from '../../math/finite.js';
import { baseConfigShape } from '../base-config.js';
import { jsonFloat } from '../json.js';
import { defineDetector, loadAs, type RowModel, SpecDetector, specLoader } from '../spec.js';
import type { Frame } from '../transforms.js';
import { ChangePointCore } from './core.js';

export const changePointConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** CUSUM allowance, in residual standard deviations. */
  k: z.number().min(0).max(10).default(0.5),
  /** CUSUM decision level (re-anchors the level above it). */
  h: z.number().positive().max(1000).default(20),
  /** Clip of the standardised residual. */
  clip: z.number().positive().max(100).default(4),
  /** Seasonal period in points; null = learnt from the training data. */
  period: z.number().int().min(1).max(100_000).nullable().default(null),
});
export type ChangePointConfig = z.infer<typeof changePointConfigSchema>;
export type ChangePointInput = z.input<typeof changePointConfigSchema>;

/** The score at the CUSUM's decision level `h`: the default rule's alarm threshold. */
export const CHANGE_POINT_ALARM_Z = 3;

/** The fitted state: the online CUSUM core's arrays and numbers (see core.ts). */
const changePointStateSchema = z.object({
  profile: z.array(jsonFloat),
  dow: z.array(jsonFloat),
  events: z.array(jsonFloat),
  num: z.array(jsonFloat),
});
type ChangePointState = z.infer<typeof changePointStateSchema>;

function newCore(c: ChangePointConfig): ChangePointCore {
  return new ChangePointCore({ k: c.k, h: c.h, clip: c.clip, period: c.period });
}

/** The raw model: the online CUSUM core (every scored point updates the sums). */
class ChangePointRaw implements RowModel<ChangePointState> {
  constructor(
    private readonly config: ChangePointConfig,
    private core: ChangePointCore,
    /** Whether the core holds a fitted state (a fresh core is not one to copy). */
    private fitted = false,
  ) {}

  fit(frame: Frame): Float64Array {
    this.fitted = true;
    this.core = newCore(this.config);
    const s = this.core.fit(frame.t, frame.x);
    // a sum over a decision level near zero (an edited model file) stays a finite score
    for (let i = 0; i < s.length; i++) s[i] = clampFinite((CHANGE_POINT_ALARM_Z * s[i]) / this.config.h);
    return s;
  }

  scoreRow(row: Float64Array, t: number): number {
    return clampFinite((CHANGE_POINT_ALARM_Z * this.core.scoreRow(t, row[0])) / this.config.h);
  }

  /** Scores without learning: on a copy. */
  peekRow(row: Float64Array, t: number): number {
    return this.copy().scoreRow(row, t);
  }

  /** Learns the row (the core learns as it scores). */
  learnRow(row: Float64Array, t: number): void {
    this.scoreRow(row, t);
  }

  /** The online core is copied through its own state codec. */
  copy(): ChangePointRaw {
    if (!this.fitted) return new ChangePointRaw(this.config, this.core);
    return changePointFromState(this.config, this.toState(), 'state.model');
  }

  toState(): ChangePointState {
    return this.core.state() as ChangePointState;
  }
}

function changePointFromState(
  config: ChangePointConfig,
  state: ChangePointState,
  path: string,
): ChangePointRaw {
  const core = newCore(config);
  core.restore(state, path);
  return new ChangePointRaw(config, core, true);
}

/** The ChangePointDetector spec (see docs/detectors.md). */
export const changePointSpec = defineDetector({
  type: 'ChangePointDetector',
  level: 'row',
  learnsPrev: true,
  config: changePointConfigSchema,
  state: changePointStateSchema,
  calibrated: false,
  minTrainRows: 8,
  create: (c) => new ChangePointRaw(c, newCore(c)),
  fromState: (s, { config, path }) => changePointFromState(config, s, path),
});

export class ChangePointDetector extends SpecDetector<ChangePointConfig, ChangePointRaw> {
  constructor(cfg: ChangePointInput = {}) {
    super(changePointSpec, cfg);
  }

  /** Loads a ChangePointDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): ChangePointDetector {
    return loadAs(json, changePointSpec, ChangePointDetector);
  }
}

/** Loads a `ChangePointDetector` model file (see the registry in detectors/registry.ts). */
export const loadChangePointDetector = specLoader((c) => new ChangePointDetector(c as ChangePointInput));

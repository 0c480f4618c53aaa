/**
 * `FlatLineDetector`: a stuck sensor, as the run of near-constant values against the longest such run in
 * the series' own history (core.ts; docs/detectors-quality.md). Online.
 *
 * The score is `3 · run / (reference + 1)` with no calibrator: the default alarm threshold (3) fires when
 * the current run is longer than every run in the history and than twice the longest expected by chance.
 * A calibrator trained on the short training part ranked any run a little longer than the training
 * ones as extreme (on NAB's count series, two or three equal counts in a row).
 */
import { z } from 'zod';
import { baseConfigShape } from '../base-config.js';
import { jsonFloat } from '../json.js';
import { defineDetector, loadAs, type RowModel, SpecDetector, specLoader } from '../spec.js';
import type { Frame } from '../transforms.js';
import { FlatLineCore } from './core.js';

export const flatLineConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** Tolerance as a fraction of the median absolute step of the training data. */
  relTol: z.number().min(0).max(10).default(0.01),
  /**
   * 0 (default): every point of a run scores `3 · run / (reference + 1)`, so a stall scores higher the
   * longer it lasts. k > 0: the **onset** only: the points where the run exceeds its reference + 1 by
   * at most k score `3 · min(run / (reference + 1), 2)` (above the alarm threshold, at most 6), every
   * other point 0. That is k points per stall, or one more when the reference grows during the run
   * (the share of repeating steps rises with it); no state beyond the run's. A stall is one event: reported when it becomes one, not for as long as it lasts (a long score
   * plateau would outweigh every other member in a maximum and teach an online calibrator that its
   * scores are normal). k = 2 is the least the default alarm rule needs (2 raw alarms within 60 min).
   */
  onsetPoints: z.number().int().min(0).max(1000).default(0),
});
export type FlatLineConfig = z.infer<typeof flatLineConfigSchema>;
export type FlatLineInput = z.input<typeof flatLineConfigSchema>;

/** The score of a run as long as the reference + 1: the default rule's alarm threshold. */
export const FLAT_LINE_ALARM_Z = 3;

/** The fitted state: the online core's numbers (see core.ts). */
const flatLineStateSchema = z.object({ num: z.array(jsonFloat), byValue: z.array(jsonFloat).optional() });
type FlatLineState = z.infer<typeof flatLineStateSchema>;

/** The raw model: the online run-length core (it learns as it scores). */
class FlatLineRaw implements RowModel<FlatLineState> {
  constructor(
    private readonly config: FlatLineConfig,
    private core: FlatLineCore,
    /** Whether the core holds a fitted state (a fresh core is not one to copy). */
    private fitted = false,
  ) {}

  fit(frame: Frame): Float64Array {
    this.fitted = true;
    this.core = new FlatLineCore(this.config.relTol);
    const s = this.core.fit(frame.x);
    // training runs are the reference (scores ≤ 1 before scaling): none is an onset
    const scale = this.config.onsetPoints > 0 ? 0 : FLAT_LINE_ALARM_Z;
    for (let i = 0; i < s.length; i++) s[i] *= scale;
    return s;
  }

  scoreRow(row: Float64Array): number {
    return this.scoreValue(row[0]);
  }

  /** `scoreRow` row by row over the frame's first column, without a view per row. */
  scoreRows(frame: Frame): Float64Array {
    const { n, d, x } = frame;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.scoreValue(x[i * d]);
    return out;
  }

  private scoreValue(v: number): number {
    const r = this.core.scoreRow(v);
    const k = this.config.onsetPoints;
    if (k === 0) return FLAT_LINE_ALARM_Z * r;
    const over = this.core.lastRun - (this.core.lastReference + 1);
    return over > 0 && over <= k ? FLAT_LINE_ALARM_Z * Math.min(r, 2) : 0;
  }

  /** Scores without learning: on a copy. */
  peekRow(row: Float64Array): number {
    return this.copy().scoreRow(row);
  }

  /** Learns the row (the core learns as it scores). */
  learnRow(row: Float64Array): void {
    this.scoreRow(row);
  }

  /** The online core is copied through its own state codec. */
  copy(): FlatLineRaw {
    if (!this.fitted) return new FlatLineRaw(this.config, this.core);
    return flatLineFromState(this.config, this.toState(), 'state.model');
  }

  toState(): FlatLineState {
    return this.core.state() as FlatLineState;
  }
}

function flatLineFromState(config: FlatLineConfig, state: FlatLineState, path: string): FlatLineRaw {
  const core = new FlatLineCore(config.relTol);
  core.restore(state, path);
  return new FlatLineRaw(config, core, true);
}

/** The FlatLineDetector spec (see docs/detectors.md). */
export const flatLineSpec = defineDetector({
  type: 'FlatLineDetector',
  level: 'row',
  learnsPrev: true,
  config: flatLineConfigSchema,
  state: flatLineStateSchema,
  calibrated: false,
  minTrainRows: 2,
  create: (c) => new FlatLineRaw(c, new FlatLineCore(c.relTol)),
  fromState: (s, { config, path }) => flatLineFromState(config, s, path),
});

export class FlatLineDetector extends SpecDetector<FlatLineConfig, FlatLineRaw> {
  constructor(cfg: FlatLineInput = {}) {
    super(flatLineSpec, cfg);
  }

  /** Loads a FlatLineDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): FlatLineDetector {
    return loadAs(json, flatLineSpec, FlatLineDetector);
  }
}

/** Loads a `FlatLineDetector` model file (see the registry in detectors/registry.ts). */
export const loadFlatLineDetector = specLoader((c) => new FlatLineDetector(c as FlatLineInput));

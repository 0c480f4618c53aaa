/**
 * `ArtDetector`: an adaptive-resonance detector after the method of ARTime (docs/detectors.md, "ART"), as
 * a spec. Its scores are ARTime's alarm confidences in [0, 1] already (runner mapping `identity`): 0 on
 * every point but those where a new cluster raises an alarm. No calibrator; the default alarm rule fires
 * on any raised alarm (score ≥ 1e-6).
 *
 * Training streams the training part through a fresh `ArtCore` whose probationary period is that part
 * (ARTime's probationary batch happens inside it); `score(ts)` scores `ts` on a copy of the state (points
 * of `prev` after the model's last one are learned first), so it equals pushing `ts` into `stream()`.
 * The model has no time-dependent state: gaps never reset it.
 */
import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';
import { finiteRange } from '../../math/finite.js';
import type { TimeSeries } from '../../series/types.js';
import { baseConfigShape } from '../base-config.js';
import { decodeFloat } from '../json.js';
import { OnlineCoreRaw, onlineCoreStateSchema } from '../online-core-raw.js';
import type { DetectorLoader } from '../registry.js';
import { defineDetector, loadAs, SpecDetector, specLoader } from '../spec.js';
import type { JsonObject } from '../types.js';
import { ART_MIN_TRAIN, ArtCore, artSchema } from './core.js';

const artDetectorSchema = z.strictObject({ ...baseConfigShape(1), ...artSchema.shape });

/** Below every confidence ARTime reports (they are rounded to 6 digits): "any raised alarm". */
export const ART_ALARM_LEVEL = 1e-6;

function withAnyAlarmRule(cfg: unknown): unknown {
  if (cfg === null || cfg === undefined) cfg = {};
  if (typeof cfg !== 'object' || Array.isArray(cfg)) return cfg;
  const c = cfg as Record<string, unknown>;
  if (c.threshold !== undefined) return c;
  return { ...c, threshold: { type: 'threshold', almThreshold: ART_ALARM_LEVEL, absScore: false } };
}

export type ArtConfig = z.infer<typeof artDetectorSchema>;
export type ArtInput = z.input<typeof artDetectorSchema>;

function coreConfig(c: ArtConfig): Record<string, unknown> {
  return {
    range: c.range,
    rangeMargin: c.rangeMargin,
    rangeMode: c.rangeMode,
    maxCategories: c.maxCategories,
  };
}

/**
 * The causal range: the finite training values' [min, max] widened by `margin` of its span on each
 * side (a constant training part: of max(|value|, 1)); [0, 0] when no value is finite.
 */
export function artCausalRange(v: ArrayLike<number>, margin: number): [number, number] {
  const r = finiteRange(v);
  if (r === undefined) return [0, 0];
  const [lo, hi] = r;
  const span = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1);
  const a = lo - margin * span;
  const b = hi + margin * span;
  return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : [lo, hi];
}

class ArtRaw extends OnlineCoreRaw<ArtCore> {
  constructor(
    private readonly config: ArtConfig,
    core: ArtCore,
    lastLearned = Number.NEGATIVE_INFINITY,
  ) {
    super(core, lastLearned);
  }

  protected newCore(): ArtCore {
    return new ArtCore(coreConfig(this.config));
  }

  protected wrap(core: ArtCore, lastLearned: number): this {
    return new ArtRaw(this.config, core, lastLearned) as this;
  }

  /** The range: the config's, else the training part's own widened by `rangeMargin` (causal). */
  protected override beginFit(core: ArtCore, ts: TimeSeries): void {
    const [lo, hi] = this.config.range ?? artCausalRange(ts.v, this.config.rangeMargin);
    core.begin(ts.v.length, lo, hi);
  }
}

/**
 * State version 2 → 3 (`rangeMode` added, round 16b): the state's shape is unchanged; a version-2 file
 * lacks `rangeMode` in its config and loads as `'clamp'` (`legacyConfig`), the only behaviour it knew.
 */
function migrateRangeMode(s: JsonObject): JsonObject {
  return { ...s, stateVersion: 3 };
}

/** The ArtDetector spec (see docs/detectors.md); state version 2 was round 16's, 3 adds `rangeMode`. */
export const artSpec = defineDetector({
  type: 'ArtDetector',
  level: 'series',
  config: z.preprocess(withAnyAlarmRule, artDetectorSchema),
  state: onlineCoreStateSchema,
  stateVersion: 3,
  migrations: { 2: migrateRangeMode },
  legacyConfig: { 2: { rangeMode: 'clamp' } },
  calibrated: false,
  minTrainPoints: () => ({
    points: ART_MIN_TRAIN,
    reason:
      'the training part is its probationary period, whose initial vigilance needs a few feature windows',
  }),
  create: (c) => new ArtRaw(c, new ArtCore(coreConfig(c))),
  fromState: (s, { config, path }) => {
    const core = new ArtCore(coreConfig(config));
    core.restore(s.core, `${path}.core`);
    const lastLearned = decodeFloat(s.lastLearned, `${path}.lastLearned`);
    if (Number.isNaN(lastLearned) || lastLearned === Number.POSITIVE_INFINITY)
      throw new ModelFormatError('bad_field', `${path}.lastLearned: expected a time in epoch ms`);
    return new ArtRaw(config, core, lastLearned);
  },
});

export class ArtDetector extends SpecDetector<ArtConfig, ArtRaw> {
  constructor(cfg: ArtInput = {}) {
    super(artSpec, cfg);
  }

  /** Loads an ArtDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): ArtDetector {
    return loadAs(json, artSpec, ArtDetector);
  }
}

/** The model-file loader of ArtDetector (listed in registry.ts). */
export const loadArtDetector: DetectorLoader = specLoader((c) => new ArtDetector(c as ArtInput), artSpec);

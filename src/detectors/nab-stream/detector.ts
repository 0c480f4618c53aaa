/**
 * `NabStreamDetector`: the streaming configuration designed for NAB (docs/nab-corpus.md), as a spec.
 * Its scores are NAB anomaly scores in [0, 1] already (runner mapping `identity`): no calibrator, and
 * the default alarm rule is a plain threshold at `alarmLevel` (a score at or above it is an alarm).
 * Fully online: training streams the points through a fresh `NabStreamCore` (each point scored before
 * it is learned from) and then freezes the value bins; `score(ts)` scores `ts` on a copy of the state
 * (points of `prev` after the model's last one are learned first, as ETS absorbs context), so it equals
 * pushing `ts` into `stream()` point by point. The model has no time-dependent state: gaps never reset it.
 */
import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';
import { baseConfigShape } from '../base-config.js';
import { checkSafeValue } from '../input.js';
import { decodeFloat } from '../json.js';
import { OnlineCoreRaw, onlineCoreStateSchema } from '../online-core-raw.js';
import type { DetectorLoader } from '../registry.js';
import { defineDetector, loadAs, SpecDetector, specLoader } from '../spec.js';
import type { JsonObject } from '../types.js';
import { NabStreamCore, nabStreamSchema } from './core.js';

const nabStreamDetectorSchema = z.strictObject({ ...baseConfigShape(1), ...nabStreamSchema.shape });

/** The default alarm rule: NAB's fixed level on the likelihood scale (`s ≥ alarmLevel`). */
function withLevelRule(cfg: unknown): unknown {
  if (cfg === null || cfg === undefined) cfg = {};
  if (typeof cfg !== 'object' || Array.isArray(cfg)) return cfg;
  const c = cfg as Record<string, unknown>;
  if (c.threshold !== undefined) return c;
  const level = c.alarmLevel === undefined ? nabStreamSchema.shape.alarmLevel.parse(undefined) : c.alarmLevel;
  return { ...c, threshold: { type: 'threshold', almThreshold: level, absScore: false } };
}

export type NabStreamConfig = z.infer<typeof nabStreamDetectorSchema>;
export type NabStreamInput = z.input<typeof nabStreamDetectorSchema>;

/** The core's own config: the NAB fields of the detector's config. */
function coreConfig(c: NabStreamConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(nabStreamSchema.shape)) out[k] = c[k as keyof NabStreamConfig];
  return out;
}

/** The raw model: the online core; it learns every point it scores, and freezes its value bins after training. */
class NabStreamRaw extends OnlineCoreRaw<NabStreamCore> {
  constructor(
    private readonly config: NabStreamConfig,
    core: NabStreamCore,
    lastLearned = Number.NEGATIVE_INFINITY,
  ) {
    super(core, lastLearned);
  }

  protected newCore(): NabStreamCore {
    return new NabStreamCore(coreConfig(this.config));
  }

  protected wrap(core: NabStreamCore, lastLearned: number): this {
    return new NabStreamRaw(this.config, core, lastLearned) as this;
  }

  protected override endFit(core: NabStreamCore): void {
    core.endTraining();
  }

  /** Its rolling statistics keep sums of squares: values beyond ±1e150 are refused (`SAFE_VALUE_MAX`). */
  protected override checkValue(v: number, t: number | null): void {
    checkSafeValue(v, t, 'NabStreamDetector');
  }
}

/**
 * State version 1 is the file NabStreamDetector wrote before it ran on the spec runtime:
 * `{ core, lastT? }` (lastT absent before stream checkpoints). It becomes the runtime's version-2 state.
 */
function migrateLegacy(s: JsonObject, config: JsonObject): JsonObject {
  const lastT = Object.hasOwn(s, 'lastT') ? s.lastT : '-Infinity';
  const level = config.alarmLevel ?? nabStreamSchema.shape.alarmLevel.parse(undefined);
  const rule = config.threshold;
  const almThreshold =
    rule !== null && typeof rule === 'object' && !Array.isArray(rule) && 'almThreshold' in rule
      ? (rule.almThreshold ?? null)
      : level;
  return {
    stateVersion: 2,
    trained: true,
    calibrator: null,
    threshold: { almThreshold },
    transforms: [],
    tail: { t: [], v: [] },
    lastT,
    alarm: null,
    model: { core: s.core ?? null, lastLearned: lastT },
  };
}

/** The NabStreamDetector spec (see docs/detectors.md). */
export const nabStreamSpec = defineDetector({
  type: 'NabStreamDetector',
  level: 'series',
  config: z.preprocess(withLevelRule, nabStreamDetectorSchema),
  state: onlineCoreStateSchema,
  calibrated: false,
  migrations: { 1: migrateLegacy },
  create: (c) => new NabStreamRaw(c, new NabStreamCore(coreConfig(c))),
  fromState: (s, { config, path }) => {
    const core = new NabStreamCore(coreConfig(config));
    core.restore(s.core, `${path}.core`);
    const lastLearned = decodeFloat(s.lastLearned, `${path}.lastLearned`);
    if (Number.isNaN(lastLearned) || lastLearned === Number.POSITIVE_INFINITY)
      throw new ModelFormatError('bad_field', `${path}.lastLearned: expected a time in epoch ms`);
    return new NabStreamRaw(config, core, lastLearned);
  },
});

export class NabStreamDetector extends SpecDetector<NabStreamConfig, NabStreamRaw> {
  constructor(cfg: NabStreamInput = {}) {
    super(nabStreamSpec, cfg);
  }

  /** Loads a NabStreamDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): NabStreamDetector {
    return loadAs(json, nabStreamSpec, NabStreamDetector);
  }
}

const loadSpec = specLoader((c) => new NabStreamDetector(c as NabStreamInput));

/** The model-file loader of NabStreamDetector (listed in registry.ts); a legacy null state is an untrained model. */
export const loadNabStreamDetector: DetectorLoader = (config, state, budget) => {
  if (state === null) {
    try {
      return new NabStreamDetector(config as NabStreamInput);
    } catch {
      // a bad config: the spec loader reports it as a ModelFormatError
    }
  }
  return loadSpec(config, state, budget);
};

/**
 * The detector registry: one explicit list of every detector type tsad ships, so that `loadModel`
 * works whatever the user imported (no registration happens as a side effect of an import). A new
 * detector adds one line here. `example` builds a small untrained instance: the conformance kit runs
 * on every entry (test/conformance/registered.test.ts).
 */
import { ModelFormatError, TsadError } from '../errors.js';
import { ArtDetector, loadArtDetector } from './art/detector.js';
import { ChangePointDetector, loadChangePointDetector } from './changepoint/detector.js';
import { defaultDetector } from './default.js';
import { DiscordDetector, loadDiscordDetector } from './discord/detector.js';
import { Ensemble, ensembleLoader } from './ensemble.js';
import { EtsDetector, loadEtsDetector } from './ets/detector.js';
import { FlatLineDetector, loadFlatLineDetector } from './flatline/detector.js';
import { IsolationForest, loadIsolationForest } from './isolation-forest.js';
import { LevelDriftDetector, loadLevelDriftDetector } from './level-drift/detector.js';
import { AllocBudget, parseModelEnvelope } from './model.js';
import { loadNabStreamDetector, NabStreamDetector } from './nab-stream/detector.js';
import type { ThresholdRuleInput } from './post/rule.js';
import { loadRandomCutForest, RandomCutForest } from './rcf/detector.js';
import { loadRollingMad, RollingMad } from './rolling-mad/detector.js';
import { loadSeasonalChangeDetector, SeasonalChangeDetector } from './seasonal-change/detector.js';
import type { Detector } from './types.js';
import { loadZmsDetector, ZmsDetector } from './zms.js';

/**
 * Builds a detector from a model file's (untrusted) config and state; `budget` bounds what it may
 * allocate (checked before allocating).
 */
export type DetectorLoader = (config: unknown, state: unknown, budget?: AllocBudget) => Detector;

/** One registered detector type. */
export interface DetectorEntry {
  readonly type: string;
  readonly load: DetectorLoader;
  /** A small untrained instance for the conformance kit; `overrides` are extra config fields. */
  readonly example: (overrides?: Record<string, unknown>) => Detector;
  /** Whether `seed` drives random choices (the kit then checks that seeds differ). */
  readonly seeded: boolean;
  /**
   * Kit exception: false when `score(b, { prev: a })` differs from the tail of `score(a ++ b)`
   * because the model learns while scoring (`score(a ++ b)` learns `a`; `prev` is transform
   * context only). Default true.
   */
  readonly prevIsContext?: boolean;
  /** Kit exception: false when labels do not train the alarm level (a fixed level). Default true. */
  readonly labelsTrainThreshold?: boolean;
  /**
   * The kit's training length the example needs to be more than idle (default: the kit's own, 600
   * points of a 5-minute series with a daily cycle).
   */
  readonly kitTrainLength?: number;
}

const quiet = { onWarning: () => {} };

/** Every detector type tsad ships. Lazy references only: see the note on import cycles in ensemble.ts. */
export const DETECTORS: readonly DetectorEntry[] = [
  {
    type: 'IsolationForest',
    load: (c, s, b) => loadIsolationForest(c, s, b),
    example: (o) => new IsolationForest({ seed: 7, nEstimators: 50, ...o }),
    seeded: true,
  },
  {
    type: 'RandomCutForest',
    load: (c, s, b) => loadRandomCutForest(c, s, b),
    example: (o) =>
      new RandomCutForest({ seed: 7, nEstimators: 20, maxNSamples: 128, onlineUpdates: true, ...o }),
    seeded: true,
    prevIsContext: false, // online: score(a ++ b) learns a
  },
  {
    type: 'EtsDetector',
    load: (c, s, b) => loadEtsDetector(c, s, b),
    example: (o) => new EtsDetector({ auto: true, ...o }),
    seeded: false,
  },
  {
    type: 'ZmsDetector',
    load: (c, s, b) => loadZmsDetector(c, s, b),
    example: (o) => new ZmsDetector({ nLags: 3, ...o }),
    seeded: false,
  },
  {
    type: 'NabStreamDetector',
    load: (c, s, b) => loadNabStreamDetector(c, s, b),
    example: (o) => new NabStreamDetector({ historyWindow: 500, zWindow: 200, learningPeriod: 50, ...o }),
    seeded: false,
  },
  {
    type: 'ArtDetector',
    load: (c, s, b) => loadArtDetector(c, s, b),
    example: (o) => new ArtDetector({ ...o }),
    seeded: false,
    // its training part is its probationary period, where it never alarms: train scores all 0
    labelsTrainThreshold: false,
  },
  {
    type: 'RollingMad',
    load: (c, s, b) => loadRollingMad(c, s, b),
    example: (o) => new RollingMad({ window: 50, ...o }),
    seeded: false,
  },
  {
    type: 'ChangePointDetector',
    load: (c, s, b) => loadChangePointDetector(c, s, b),
    example: (o) => new ChangePointDetector({ ...o }),
    seeded: false,
  },
  {
    type: 'FlatLineDetector',
    load: (c, s, b) => loadFlatLineDetector(c, s, b),
    example: (o) => new FlatLineDetector({ ...o }),
    seeded: false,
  },
  {
    type: 'SeasonalChangeDetector',
    load: (c, s, b) => loadSeasonalChangeDetector(c, s, b),
    example: (o) => new SeasonalChangeDetector({ ...o }),
    seeded: false,
    // two days (600 points) show no checked period: the member would be off and score 0 everywhere
    kitTrainLength: 1200,
  },
  {
    type: 'LevelDriftDetector',
    load: (c, s, b) => loadLevelDriftDetector(c, s, b),
    // 1200 points of the kit's 5-minute series cover four days: on with two whole periods asked, and
    // with floor 0 its training scores are not all 0 (the kit's labelled-threshold search needs some)
    example: (o) => new LevelDriftDetector({ minPeriods: 2, floor: 0, ...o }),
    seeded: false,
    kitTrainLength: 1200,
  },
  {
    type: 'DiscordDetector',
    load: (c, s, b) => loadDiscordDetector(c, s, b),
    example: (o) => new DiscordDetector({ ...o }),
    seeded: false,
  },
  {
    // the default detector: an Ensemble of ETS, RandomCutForest and ZMS (a smaller forest here)
    type: 'Ensemble',
    load: (c, s, b) => ensembleLoader(loadWithBudget)(c, s, b),
    example: (o) => {
      const d = defaultDetector(
        { seed: typeof o?.seed === 'number' ? o.seed : 0, rcf: { nEstimators: 10 } },
        quiet,
      );
      if (o?.threshold === undefined) return d;
      // the kit's F1 clause asks for a plain threshold rule
      return new Ensemble(
        { ...d.config, members: d.members, threshold: o.threshold as ThresholdRuleInput },
        quiet,
      );
    },
    seeded: true,
    prevIsContext: false, // its RandomCutForest member is online
  },
];

/** Model files written before the type names were unified (PascalCase). */
const ALIASES: Readonly<Record<string, string>> = { isolationForest: 'IsolationForest' };

/** Loaders of detector types registered at run time by third-party code (`registerDetector`). */
const extra = new Map<string, DetectorLoader>();

/**
 * Registers the loader of a detector type that tsad does not ship (a third-party detector), so that
 * `loadModel` reads its files. A call, never an import side effect; built-in types cannot be replaced.
 */
export function registerDetector(type: string, loader: DetectorLoader): void {
  if (findBuiltIn(type))
    throw new ModelFormatError('duplicate_type', `detector type "${type}" is built in; choose another name`);
  extra.set(type, loader);
}

function findBuiltIn(type: string): DetectorEntry | undefined {
  const t = Object.hasOwn(ALIASES, type) ? ALIASES[type] : type;
  return DETECTORS.find((e) => e.type === t);
}

/** Registered detector types (built in, then registered at run time). */
export function registeredTypes(): string[] {
  return [...DETECTORS.map((e) => e.type), ...[...extra.keys()].sort()];
}

/**
 * Loads a model file (`toJSON()` output, as an object or JSON string). Validates the envelope
 * and the data (plain JSON only, no prototype keys), then dispatches to the type's loader. Never
 * evaluates code. Every failure is a TsadError (ModelFormatError for bad files).
 */
export function loadModel(json: unknown): Detector {
  return loadWithBudget(json, AllocBudget.of(json));
}

/** `loadModel` within an allocation budget (an ensemble's members share the ensemble file's). */
export function loadWithBudget(json: unknown, budget: AllocBudget): Detector {
  const env = parseModelEnvelope(json);
  const loader = findBuiltIn(env.type)?.load ?? extra.get(env.type);
  if (!loader) {
    throw new ModelFormatError(
      'unknown_type',
      `model type "${env.type}" is not registered (known: ${registeredTypes().join(', ')}); a third-party type needs registerDetector() first`,
    );
  }
  try {
    return loader(env.config, env.state, budget);
  } catch (e) {
    if (e instanceof TsadError) throw e;
    throw new ModelFormatError(
      'bad_state',
      `model file state is inconsistent: ${(e as Error)?.message ?? String(e)}`,
      {
        cause: e,
      },
    );
  }
}

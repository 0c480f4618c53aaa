/** Model files of detectors: typed loaders (`loadAs`, `baseLoader`) and state versions with migrations. */
import { ConfigError, ModelFormatError, TsadError } from '../errors.js';
import type { BaseDetector } from './base.js';
import type { BaseDetectorConfig } from './base-config.js';
import { AllocBudget, parseModelEnvelope, unsupportedVersion } from './model.js';
import type { DetectorLoader } from './registry.js';
import type { JsonObject, JsonValue } from './types.js';

/**
 * A typed loader: the model file `json` as a detector of class `cls` (its type one of `types`), else a
 * ModelFormatError naming the type found.
 */
export function loadAs<D>(
  json: unknown,
  types: readonly string[],
  loader: DetectorLoader,
  cls: abstract new (...args: never[]) => D,
): D {
  const env = parseModelEnvelope(json);
  if (!types.includes(env.type))
    throw new ModelFormatError(
      'wrong_type',
      `expected a model file of type ${types[0]}, got type "${env.type}"; use loadModel() for any type`,
    );
  const d = loader(env.config, env.state, AllocBudget.of(json));
  if (!(d instanceof cls))
    throw new ModelFormatError('wrong_type', `the ${types[0]} loader returned another type`);
  return d;
}

/**
 * A loader for the registry list: builds the detector from the file's config (a config error
 * becomes a ModelFormatError naming `config.<field>`), then restores its state.
 */
export function baseLoader<D extends BaseDetector<BaseDetectorConfig>>(
  make: (config: unknown) => D,
  legacy?: LegacyConfig,
): DetectorLoader {
  return (config, state, budget) => {
    let d: D;
    try {
      d = make(withLegacyConfig(config, state, legacy));
    } catch (e) {
      if (e instanceof ConfigError)
        throw new ModelFormatError('bad_config', `model file ${e.message}`, { cause: e });
      if (e instanceof TsadError) throw e;
      throw new ModelFormatError('bad_config', `model file config: ${(e as Error)?.message ?? String(e)}`);
    }
    d.restoreState(state, budget);
    return d;
  };
}

/** A file state's `stateVersion` as written (unchecked); a state without it is version 1. */
function fileStateVersion(state: JsonObject): JsonValue | undefined {
  return Object.hasOwn(state, 'stateVersion') ? state.stateVersion : 1;
}

/**
 * Config fields a detector gained after a state version, with the values that keep an older model
 * file's behaviour: entry `v` applies to files of state version `v` or older whose config lacks the
 * field (the schema's default would otherwise change how the loaded detector trains again).
 */
export type LegacyConfig = Readonly<Record<number, JsonObject>>;

/**
 * The file's config with `legacy`'s fields filled in for its state version (oldest entry first;
 * a field the file has is kept). Anything malformed is returned as is, for the parsers to report.
 */
export function withLegacyConfig(config: unknown, state: unknown, legacy: LegacyConfig | undefined): unknown {
  if (!legacy || config === null || typeof config !== 'object' || Array.isArray(config)) return config;
  if (state === null || typeof state !== 'object' || Array.isArray(state)) return config;
  const version = fileStateVersion(state as JsonObject);
  if (typeof version !== 'number' || !Number.isInteger(version)) return config;
  let out = config as JsonObject;
  const entries = Object.keys(legacy)
    .map(Number)
    .sort((a, b) => a - b);
  for (const v of entries) {
    if (version > v) continue;
    for (const [name, value] of Object.entries(legacy[v] as JsonObject)) {
      if (!Object.hasOwn(out, name)) out = { ...out, [name]: value };
    }
  }
  return out;
}

/**
 * Turns a version-`v` model-file state (plain JSON) into a version-`v + 1` one; `config` is the
 * file's parsed config (for migrations whose new fields derive from it).
 */
export type StateMigration = (state: JsonObject, config: JsonObject) => JsonObject;

/** The base state's version: 2 added `stateVersion` itself, `lastT` and `alarm` (stream checkpoints). */
export const BASE_STATE_VERSION = 2;

export const BASE_MIGRATIONS: Readonly<Record<number, StateMigration>> = Object.freeze({
  // version 1 (before stream checkpoints): no lastT (the tail's last time) and no alarm state
  1: (s: JsonObject): JsonObject => {
    const tail = s.tail;
    const t = tail !== null && typeof tail === 'object' && !Array.isArray(tail) ? tail.t : undefined;
    const last = Array.isArray(t) && t.length ? t[t.length - 1] : '-Infinity';
    return { ...s, lastT: last, alarm: null };
  },
});

/**
 * Reads `state.stateVersion` (absent = 1), refuses versions newer than `current`, and applies the
 * migrations from the file's version up to `current`. Returns the state at version `current`.
 */
export function migrateState(
  state: unknown,
  type: string,
  current: number,
  migrations: Readonly<Record<number, StateMigration>>,
  config: JsonObject = {},
): unknown {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) return state; // field() reports it
  let s = state as JsonObject;
  const raw = fileStateVersion(s);
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > current)
    throw unsupportedVersion(`state.stateVersion: ${type} state`, raw, 1, current);
  for (let v = raw; v < current; v++) {
    const m = migrations[v];
    if (!m)
      throw new ModelFormatError(
        'bad_field',
        `state.stateVersion: no migration of ${type} state version ${v}; re-save the model with a tsad that reads it`,
      );
    s = m(s, config);
  }
  return s;
}

/**
 * The model registry as a plain JSON document, shared by the memory and file backends
 * (the file backend stores it as `registry.json`, rewritten atomically under a lock).
 */
import { aliasMoved, modelVersion, resolveVersionArg } from './common.js';
import { missingModel } from './models.js';
import type { RegistryStore } from './store.js';
import { type ModelVersion, type RegisteredModel, TrackingNotFoundError } from './tracker.js';

export interface StoredVersion {
  version: number;
  runId: string;
  artifactPath: string;
  creationTime: number;
  /** Version tags (absent in registries written before tags existed). */
  tags?: Record<string, string>;
}

export interface StoredModel {
  creationTime: number;
  aliases: Record<string, number>;
  versions: StoredVersion[];
}

export interface RegistryState {
  format: 'tsad-registry';
  version: 1;
  models: Record<string, StoredModel>;
}

export function emptyRegistry(): RegistryState {
  return { format: 'tsad-registry', version: 1, models: {} };
}

function getModel(state: RegistryState, name: string): StoredModel {
  const m = Object.hasOwn(state.models, name) ? state.models[name] : undefined;
  if (!m) throw missingModel(name);
  return m;
}

function latest(m: StoredModel): number | null {
  let v: number | null = null;
  for (const s of m.versions) if (v === null || s.version > v) v = s.version;
  return v;
}

export function toModelVersion(name: string, m: StoredModel, s: StoredVersion): ModelVersion {
  return modelVersion({ name, ...s }, m.aliases);
}

/** Adds the next version (creating the model if needed); mutates `state`. */
export function addVersion(
  state: RegistryState,
  name: string,
  runId: string,
  artifactPath: string,
  now: number,
): ModelVersion {
  if (!Object.hasOwn(state.models, name)) {
    state.models[name] = { creationTime: now, aliases: {}, versions: [] };
  }
  const m = state.models[name];
  const s: StoredVersion = { version: (latest(m) ?? 0) + 1, runId, artifactPath, creationTime: now };
  m.versions.push(s);
  return toModelVersion(name, m, s);
}

export function setAliasIn(
  state: RegistryState,
  name: string,
  alias: string,
  version: number,
  expected?: number | null,
): void {
  const m = getModel(state, name);
  if (!m.versions.some((s) => s.version === version)) {
    throw new TrackingNotFoundError(`model "${name}" has no version ${version}`);
  }
  if (expected !== undefined) {
    const current = Object.hasOwn(m.aliases, alias) ? m.aliases[alias] : null;
    if (current !== expected) throw aliasMoved(name, alias, expected, current);
  }
  m.aliases[alias] = version;
}

export function deleteAliasIn(state: RegistryState, name: string, alias: string): void {
  const m = getModel(state, name);
  if (!Object.hasOwn(m.aliases, alias))
    throw new TrackingNotFoundError(`model "${name}" has no alias "${alias}"`);
  delete m.aliases[alias];
}

export function getVersionIn(
  state: RegistryState,
  name: string,
  versionOrAlias: number | string,
): ModelVersion {
  const m = getModel(state, name);
  const v = resolveVersionArg(name, versionOrAlias, m.aliases, latest(m));
  const s = m.versions.find((x) => x.version === v);
  if (!s) throw new TrackingNotFoundError(`model "${name}" has no version ${v}`);
  return toModelVersion(name, m, s);
}

export function listModelsIn(state: RegistryState): RegisteredModel[] {
  return Object.entries(state.models)
    .map(([name, m]) => ({
      name,
      creationTime: m.creationTime,
      aliases: { ...m.aliases },
      latestVersion: latest(m),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function listVersionsIn(state: RegistryState, name: string): ModelVersion[] {
  const m = getModel(state, name);
  return [...m.versions].sort((a, b) => a.version - b.version).map((s) => toModelVersion(name, m, s));
}

function storedVersion(state: RegistryState, name: string, version: number): StoredVersion {
  const s = getModel(state, name).versions.find((x) => x.version === version);
  if (!s) throw new TrackingNotFoundError(`model "${name}" has no version ${version}`);
  return s;
}

/** Sets a version tag; mutates `state`. */
export function setVersionTagIn(
  state: RegistryState,
  name: string,
  version: number,
  key: string,
  value: string,
): void {
  const s = storedVersion(state, name, version);
  s.tags = { ...(s.tags ?? {}), [key]: value };
}

export function versionTagsIn(state: RegistryState, name: string, version: number): Record<string, string> {
  return { ...(storedVersion(state, name, version).tags ?? {}) };
}

/** Every version of the document whose source is run `runId`, by model name then version, with aliases. */
export function versionsOfRunIn(s: RegistryState, runId: string): ModelVersion[] {
  return listModelsIn(s).flatMap((m) => listVersionsIn(s, m.name).filter((v) => v.runId === runId));
}

/**
 * A `RegistryStore` over a registry document: `read` returns the current document, `update` runs
 * a mutation on it and stores it (under whatever lock the store needs; its `check`, when given, first,
 * under the same lock), `assertRun` throws `TrackingNotFoundError` for an unknown run. Serves the memory
 * and file backends. A registration checks its run under the registry's lock, so a deletion that
 * checks the registry under that lock too (`Store.deleteUnregisteredRun`) cannot slip in between.
 */
export function documentRegistry(
  read: () => Promise<RegistryState>,
  update: <T>(fn: (s: RegistryState) => T, check?: () => Promise<unknown>) => Promise<T>,
  assertRun: (runId: string) => Promise<unknown>,
): RegistryStore {
  return {
    async registerModel(name, runId, artifactPath) {
      const now = Date.now();
      return update(
        (s) => addVersion(s, name, runId, artifactPath, now),
        () => assertRun(runId),
      );
    },
    async setAlias(name, alias, version, opts) {
      await update((s) => setAliasIn(s, name, alias, version, opts?.expected));
    },
    async deleteAlias(name, alias) {
      await update((s) => deleteAliasIn(s, name, alias));
    },
    async setModelVersionTag(name, version, key, value) {
      await update((s) => setVersionTagIn(s, name, version, key, value));
    },
    async getModelVersionTags(name, version) {
      return versionTagsIn(await read(), name, version);
    },
    async getModelVersion(name, versionOrAlias) {
      return getVersionIn(await read(), name, versionOrAlias);
    },
    async listRegisteredModels() {
      return listModelsIn(await read());
    },
    async listModelVersions(name) {
      return listVersionsIn(await read(), name);
    },
    async versionsOfRun(runId) {
      return versionsOfRunIn(await read(), runId);
    },
  };
}

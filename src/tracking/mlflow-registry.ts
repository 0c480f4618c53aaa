/**
 * The MLflow model registry: `registered-models/*` and `model-versions/*` calls, and the mapping
 * of MLflow's model versions to tsad's `ModelVersion`.
 */

import { z } from 'zod';
import { aliasMoved, modelVersion } from './common.js';
import { type Json, MlflowApiError, type MlflowHttp } from './mlflow-http.js';
import {
  parseWire,
  parseWireList,
  type WireRegisteredModel,
  wireModelVersionSchema,
  wireRegisteredModelSchema,
} from './mlflow-schemas.js';
import {
  ARTIFACT_PATH_TAG,
  int,
  loggedModelId,
  mlflowFilterString,
  type WireModelVersion,
  type WireRun,
} from './mlflow-wire.js';
import { type ModelVersion, type RegisteredModel, TrackingNotFoundError } from './tracker.js';

export class MlflowRegistry {
  constructor(
    private readonly http: MlflowHttp,
    /** `runs/get` of a run not in the trash (`not_found` otherwise). */
    private readonly liveRun: (runId: string) => Promise<WireRun>,
  ) {}

  private toModelVersion(v: WireModelVersion): ModelVersion {
    const runId = v.run_id ?? '';
    let artifactPath = v.tags?.find((t) => t.key === ARTIFACT_PATH_TAG)?.value;
    if (!artifactPath && v.source) {
      const m = /^runs:\/[^/]+\/(.+)$/.exec(v.source) ?? /\/artifacts\/(.+)$/.exec(v.source);
      artifactPath = m?.[1];
    }
    artifactPath = artifactPath || 'model';
    const facts = { name: v.name ?? '', version: int(v.version), runId, artifactPath };
    return modelVersion({ ...facts, creationTime: int(v.creation_timestamp) }, v.aliases ?? []);
  }

  async registerModel(name: string, runId: string, artifactPath: string): Promise<ModelVersion> {
    const run = await this.liveRun(runId);
    const artifactUri = run.info?.artifact_uri ?? '';
    try {
      await this.http.call('POST', 'registered-models/create', { name }, { idempotent: true });
    } catch (err) {
      if (!(err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
    // As MLflow 3 registers a logged model: source models:/<model id>, which the server resolves
    // to the logged model's artifacts; earlier runs (no logged model) register their run path.
    const modelId = loggedModelId(run, artifactPath);
    const r = await this.http.call('POST', 'model-versions/create', {
      name,
      source: modelId ? `models:/${modelId}` : `${artifactUri.replace(/\/+$/, '')}/${artifactPath}`,
      run_id: runId,
      ...(modelId ? { model_id: modelId } : {}),
      tags: [{ key: ARTIFACT_PATH_TAG, value: artifactPath }],
    });
    return this.toModelVersion(
      parseWire<WireModelVersion>(wireModelVersionSchema, r.model_version ?? {}, 'model-versions/create'),
    );
  }

  /** The `registered_model` of a registered-models/get answer, checked (absent: undefined). */
  private registered(r: Json, endpoint: string): WireRegisteredModel | undefined {
    return (
      parseWire<WireRegisteredModel | null | undefined>(
        wireRegisteredModelSchema.nullish(),
        r.registered_model,
        endpoint,
      ) ?? undefined
    );
  }

  async setAlias(
    name: string,
    alias: string,
    version: number,
    opts: { expected?: number | null } = {},
  ): Promise<void> {
    if (opts.expected !== undefined) {
      // MLflow has no conditional alias update: checked just before setting (one request's window)
      const r = await this.http.call('GET', 'registered-models/get', { name });
      const found = (this.registered(r, 'registered-models/get')?.aliases ?? []).find(
        (a) => a.alias === alias,
      );
      const current = found === undefined ? null : Number(found.version);
      if (current !== opts.expected) throw aliasMoved(name, alias, opts.expected, current);
    }
    await this.http.call(
      'POST',
      'registered-models/alias',
      { name, alias, version: String(version) },
      { idempotent: true },
    );
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    // MLflow deletes a missing alias silently; the Tracker contract reports it.
    const r = await this.http.call('GET', 'registered-models/get', { name });
    const aliases = this.registered(r, 'registered-models/get')?.aliases ?? [];
    if (!aliases.some((a) => a.alias === alias)) {
      throw new TrackingNotFoundError(`model "${name}" has no alias "${alias}"`);
    }
    await this.http.call('DELETE', 'registered-models/alias', { name, alias });
  }

  async setModelVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    await this.http.call(
      'POST',
      'model-versions/set-tag',
      { name, version: String(version), key, value },
      { idempotent: true },
    );
  }

  async getModelVersionTags(name: string, version: number): Promise<Record<string, string>> {
    const r = await this.http.call('GET', 'model-versions/get', { name, version: String(version) });
    const out: Record<string, string> = {};
    for (const t of parseWire<WireModelVersion>(
      wireModelVersionSchema,
      r.model_version ?? {},
      'model-versions/get',
    ).tags ?? [])
      out[t.key] = t.value ?? '';
    return out;
  }

  async getModelVersion(name: string, versionOrAlias: number | string): Promise<ModelVersion> {
    let version: number | undefined;
    if (typeof versionOrAlias === 'number') version = versionOrAlias;
    else if (/^[1-9]\d*$/.test(versionOrAlias)) version = Number(versionOrAlias);
    else if (/^v\d+$/i.test(versionOrAlias)) version = Number(versionOrAlias.slice(1));
    else if (versionOrAlias.toLowerCase() === 'latest') {
      const all = await this.listModelVersions(name);
      const last = all[all.length - 1];
      if (!last) throw new TrackingNotFoundError(`model "${name}" has no versions yet`);
      return last;
    }
    if (version !== undefined) {
      const r = await this.http.call('GET', 'model-versions/get', { name, version: String(version) });
      return this.toModelVersion(
        parseWire<WireModelVersion>(wireModelVersionSchema, r.model_version ?? {}, 'model-versions/get'),
      );
    }
    const alias = versionOrAlias;
    let r: Json;
    try {
      r = await this.http.call('GET', 'registered-models/alias', { name, alias });
    } catch (err) {
      // MLflow answers a missing alias with 400 INVALID_PARAMETER_VALUE
      if (err instanceof MlflowApiError && err.errorCode === 'INVALID_PARAMETER_VALUE') {
        throw new TrackingNotFoundError(`model "${name}" has no alias "${alias}"`, { cause: err });
      }
      throw err;
    }
    return this.toModelVersion(
      parseWire<WireModelVersion>(wireModelVersionSchema, r.model_version ?? {}, 'registered-models/alias'),
    );
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    const out: RegisteredModel[] = [];
    await this.http.pages('registered-models/search', { max_results: 1000 }, (r) => {
      for (const m of parseWireList<WireRegisteredModel>(
        wireRegisteredModelSchema,
        r,
        'registered_models',
        'registered-models/search',
      )) {
        const aliases: Record<string, number> = {};
        for (const a of m.aliases ?? []) aliases[a.alias] = int(a.version);
        const latest = (m.latest_versions ?? []).reduce<number | null>(
          (acc, v) => Math.max(acc ?? 0, int(v.version)),
          null,
        );
        out.push({
          name: m.name,
          creationTime: int(m.creation_timestamp),
          aliases,
          latestVersion: latest,
        });
      }
    });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * One `model-versions/search` by run id (run ids are `[A-Za-z0-9_-]`: nothing to escape), and, when
   * it finds any, the models' aliases (`registered-models/search`: the search leaves them out).
   */
  async versionsOfRun(runId: string): Promise<ModelVersion[]> {
    const found: WireModelVersion[] = [];
    await this.http.pages(
      'model-versions/search',
      { filter: `run_id='${runId}'`, max_results: 10000 },
      (r) => {
        for (const v of parseWire<WireModelVersion[] | undefined>(
          z.array(wireModelVersionSchema).nullish(),
          r.model_versions,
          'model-versions/search',
        ) ?? [])
          if (v.run_id === runId) found.push(v);
      },
    );
    if (found.length === 0) return [];
    const aliases = new Map((await this.listRegisteredModels()).map((m) => [m.name, m.aliases]));
    return found
      .map((v) => {
        const mv = this.toModelVersion(v);
        return v.aliases?.length ? mv : modelVersion(mv, aliases.get(mv.name) ?? {});
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version));
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    // not found → typed error; model-versions/search leaves aliases out, registered-models/get has them
    const reg = await this.http.call('GET', 'registered-models/get', { name });
    const aliasesOf = new Map<string, string[]>();
    for (const a of this.registered(reg, 'registered-models/get')?.aliases ?? []) {
      aliasesOf.set(String(a.version), [...(aliasesOf.get(String(a.version)) ?? []), a.alias]);
    }
    // MLflow's filter strings have no escapes: a name holding both quote kinds is matched here
    const quoted = mlflowFilterString(name);
    const out: ModelVersion[] = [];
    await this.http.pages(
      'model-versions/search',
      { ...(quoted ? { filter: `name=${quoted}` } : {}), max_results: 10000 },
      (r) => {
        for (const v of parseWire<WireModelVersion[] | undefined>(
          z.array(wireModelVersionSchema).nullish(),
          r.model_versions,
          'model-versions/search',
        ) ?? []) {
          if (v.name !== name) continue;
          out.push(
            this.toModelVersion({
              ...v,
              aliases: v.aliases?.length ? v.aliases : aliasesOf.get(String(v.version)),
            }),
          );
        }
      },
    );
    return out.sort((a, b) => a.version - b.version);
  }
}

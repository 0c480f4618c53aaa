/**
 * Which model scores which series, and reloading when an alias moves.
 *
 * Each reference (`models:/NAME@ALIAS`, `models:/NAME/VERSION`, or a model file) resolves to a
 * concrete version (`models:/NAME/3`, or the file path with its modification time). `refresh()`
 * resolves every reference again and loads only those whose version changed; the service then resets
 * the series of those references and keeps every other series as it is. Each version is loaded once:
 * a new series gets a stream of the loaded detector (a copy of its state), not a new parse of the file.
 */
import { readFile, stat } from 'node:fs/promises';
import { loadModel } from '../detectors/registry.js';
import { streamOnce } from '../detectors/stream-once.js';
import type { Detector, JsonValue, ModelJson } from '../detectors/types.js';
import { ModelFormatError, TrackingError } from '../errors.js';
import type { Tracker } from '../tracking/tracker.js';
import { type StreamFactory, streamFactory } from './checkpoint.js';
import { ServeError } from './errors.js';

/** A series id prefix and the model reference its series use (the longest matching prefix wins). */
export interface ModelGroup {
  readonly prefix: string;
  readonly ref: string;
}

export interface LoadedModel {
  /** The reference as configured. */
  readonly ref: string;
  /** The concrete version it resolved to; a change means a reload. */
  readonly version: string;
  readonly type: string;
  readonly streams: StreamFactory;
}

const MODELS_URI = /^models:\/([^@/]+)(?:@([A-Za-z0-9_-]+)|\/(\d+))$/;

export class ModelResolver {
  private readonly loaded = new Map<string, LoadedModel>();
  private readonly groups: ModelGroup[];

  constructor(
    readonly defaultRef: string,
    groups: readonly ModelGroup[],
    private readonly tracker: Tracker | undefined,
  ) {
    this.groups = [...groups].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The reference a series id uses. */
  refOf(seriesId: string): string {
    for (const g of this.groups) if (seriesId.startsWith(g.prefix)) return g.ref;
    return this.defaultRef;
  }

  /** The loaded model of a reference (after `refresh()`). */
  get(ref: string): LoadedModel {
    const m = this.loaded.get(ref);
    if (!m) throw new ServeError('model_not_loaded', `model ${ref} is not loaded yet`, 503);
    return m;
  }

  refs(): string[] {
    return [...new Set([this.defaultRef, ...this.groups.map((g) => g.ref)])];
  }

  /**
   * Resolves every reference; loads the ones whose version changed. Returns the references that changed.
   * Each reference is refreshed on its own: one whose new version cannot be resolved or loaded keeps
   * the model it had, and the others are still refreshed. At start (a reference not loaded yet) the
   * first such error is thrown as it is; later, a `ServeError` `reload_failed` names every reference
   * that failed and carries, in `reloaded`, those that did change (their series must restart).
   */
  async refresh(): Promise<string[]> {
    const changed: string[] = [];
    const failed: { ref: string; version: string | undefined; err: unknown }[] = [];
    for (const ref of this.refs()) {
      let version: string | undefined;
      try {
        version = await this.resolve(ref);
        if (this.loaded.get(ref)?.version === version) continue;
        // another reference already holds this version (`models:/cpu@champion` and `models:/cpu/3`): a
        // registered version never changes, so its loaded detector serves both, loaded once
        const same = [...this.loaded.values()].find((m) => m.version === version);
        if (same) {
          this.loaded.set(ref, { ...same, ref });
          changed.push(ref);
          continue;
        }
        // the version is read, validated and loaded once; its JSON is not kept
        const det = loadModel((await this.fetch(ref, version)) as ModelJson) as Detector;
        const loadState = (state: JsonValue) =>
          streamOnce(loadModel(state as unknown as ModelJson) as Detector);
        this.loaded.set(ref, {
          ref,
          version,
          type: det.type,
          // a new series is a stream of this one detector: a stream owns a copy of its detector's state
          // (Detector.stream's contract), so series never share what they learn and the detector stays
          // as loaded; the cache is one detector per reference, replaced when the reference moves
          streams: streamFactory(() => det.stream(), loadState),
        });
        changed.push(ref);
      } catch (err) {
        // a reference never loaded (the service's start): nothing to keep, so the cause itself
        if (!this.loaded.has(ref)) throw err;
        failed.push({ ref, version, err });
      }
    }
    if (failed.length > 0) {
      // each reference's cause with what fixes it: a store that cannot be reached is no bad version
      const what = failed.map(({ ref, version, err }) => {
        const now = version === undefined ? '' : ` (now ${version})`;
        return `${ref}${now} keeps ${this.loaded.get(ref)?.version} and its series: ${reloadCause(ref, err)}`;
      });
      const down = failed.every(({ err }) => registryDown(err));
      throw new ServeError(
        'reload_failed',
        `reload failed for ${failed.length} of ${this.refs().length} model references; ${what.join('; ')}${changed.length > 0 ? `; reloaded meanwhile: ${changed.join(', ')}` : ''}`,
        down ? 503 : 500,
        { cause: failed[0].err, reloaded: changed },
      );
    }
    return changed;
  }

  private async resolve(ref: string): Promise<string> {
    const m = MODELS_URI.exec(ref);
    if (m) {
      if (!this.tracker) throw new ServeError('no_tracker', `${ref} needs a tracking store`, 500);
      const mv = await this.tracker.getModelVersion(m[1], m[2] ?? Number(m[3]));
      return `models:/${mv.name}/${mv.version}`;
    }
    if (ref.startsWith('runs:/')) return ref;
    const s = await stat(ref).catch((err: unknown) => {
      throw unreadable(ref, err);
    });
    return `${ref}#${s.mtimeMs}`;
  }

  private async fetch(ref: string, version: string): Promise<unknown> {
    if (version.startsWith('models:/') || version.startsWith('runs:/')) {
      if (!this.tracker) throw new ServeError('no_tracker', `${ref} needs a tracking store`, 500);
      return this.tracker.loadModelJson(version);
    }
    try {
      return JSON.parse(await readFile(ref, 'utf8'));
    } catch (err) {
      throw unreadable(ref, err);
    }
  }
}

/** A model file that cannot be read or parsed, as the same typed error `tsad detect` gives. */
/** Tracking errors that say the store could not be reached or answered nothing usable in time (not a bad model). */
const REGISTRY_DOWN: ReadonlySet<string> = new Set([
  'mlflow_unreachable',
  'mlflow_timeout',
  'mlflow_connection_lost',
  'mlflow_http_502',
  'mlflow_http_503',
  'mlflow_http_504',
  'sql_unreachable',
  'sql_connection_lost',
  'lock_timeout',
]);

function registryDown(err: unknown): boolean {
  return err instanceof TrackingError && REGISTRY_DOWN.has(err.code);
}

/** Why one reference did not reload, and what fixes it. */
function reloadCause(ref: string, err: unknown): string {
  const msg = (err as Error).message;
  if (registryDown(err)) {
    return `the tracking store cannot be reached (${msg}); nothing is wrong with the model: check that the tracking server runs and answers; the next poll (or SIGHUP) tries again`;
  }
  if (!ref.startsWith('models:/') && !ref.startsWith('runs:/')) {
    return `the model file does not load (${msg}); fix or replace the file, then reload again`;
  }
  return `the model does not load (${msg}); point the alias at a version that loads (or fix the registry), then reload again`;
}

function unreadable(ref: string, err: unknown): ModelFormatError {
  return new ModelFormatError(
    'model_unreadable',
    `cannot read the model file ${ref} (${(err as Error).message}); pass a model JSON written by \`tsad train --out\` or a models:/NAME@ALIAS URI`,
    { cause: err },
  );
}

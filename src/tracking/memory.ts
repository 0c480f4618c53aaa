/**
 * The in-process backend (`memory:`), for tests and embedding. `memory:<name>` shares one
 * store per name within the process; plain `memory:` is a fresh store each time.
 */
import {
  applyQuery,
  BaseTracker,
  isLater,
  newParams,
  newRunInfo,
  type PreparedRun,
  type RegistryStore,
  runNameOf,
  type StoredRunInfo,
  sortHistory,
  type ValidBatch,
} from './common.js';
import { documentRegistry, emptyRegistry, type RegistryState, versionsOfRunIn } from './registry-state.js';
import type { RunStore, Store } from './store.js';
import {
  type ArtifactInfo,
  type DatasetInput,
  type Experiment,
  type MetricPoint,
  type ModelVersion,
  type NormalizedQuery,
  RunNotActiveError,
  type RunRecord,
  type RunStatus,
  TrackingNotFoundError,
} from './tracker.js';

interface MemRun extends StoredRunInfo {
  params: Map<string, string>;
  tags: Map<string, string>;
  history: Map<string, MetricPoint[]>;
  latest: Map<string, MetricPoint>;
  inputs: DatasetInput[];
  artifacts: Map<string, Uint8Array>;
}

/** What a memory store holds (shared by the trackers opened on one `memory:<name>`). */
export class MemoryData {
  readonly experiments = new Map<string, Experiment>();
  readonly runs = new Map<string, MemRun>();
  registry: RegistryState = emptyRegistry();
  /** The registry's lock: registry updates and `deleteUnregisteredRun` run one at a time, in order. */
  private registryTail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every registry update queued before it has settled. */
  underRegistryLock<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.registryTail.then(fn);
    this.registryTail = p.catch(() => undefined);
    return p;
  }
}

const named = new Map<string, MemoryData>();

/** `memory:` → fresh store; `memory:<name>` → the process-wide store of that name. */
export function openMemoryTracker(name = ''): MemoryTracker {
  if (!name) return new MemoryTracker(new MemoryData(), 'memory:');
  let s = named.get(name);
  if (!s) {
    s = new MemoryData();
    named.set(name, s);
  }
  return new MemoryTracker(s, `memory:${name}`);
}

function record(r: MemRun): RunRecord {
  return {
    info: {
      runId: r.runId,
      experimentId: r.experimentId,
      runName: runNameOf(r.runName, r.tags.get('mlflow.runName')),
      status: r.status,
      startTime: r.startTime,
      endTime: r.endTime,
    },
    experiment: r.experiment,
    data: {
      params: Object.fromEntries(r.params),
      metrics: Object.fromEntries(r.latest),
      tags: Object.fromEntries(r.tags),
    },
    inputs: r.inputs.map((d) => ({ ...d })),
  };
}

class MemoryRun implements RunStore {
  constructor(
    private readonly r: MemRun,
    private readonly store: MemoryStore,
  ) {}

  get info(): MemRun {
    return this.r;
  }

  /** A write to a run deleted since is `not_found` and stores nothing, as on every store. */
  private assertStored(what: string): void {
    if (this.store.data.runs.get(this.r.runId) !== this.r) {
      throw new TrackingNotFoundError(
        `no run with id ${this.r.runId} in ${this.store.uri} (deleted?): ${what}`,
      );
    }
  }

  async writeBatch(b: ValidBatch): Promise<void> {
    this.assertStored('log a batch');
    const fresh = newParams(this.r.runId, this.r.params, b.params);
    for (const p of fresh) this.r.params.set(p.key, p.value);
    for (const t of b.tags) this.r.tags.set(t.key, t.value);
    for (const m of b.metrics) {
      const p: MetricPoint = { key: m.key, value: m.value, step: m.step, timestamp: m.timestamp };
      let h = this.r.history.get(p.key);
      if (!h) {
        h = [];
        this.r.history.set(p.key, h);
      }
      h.push(p);
      const cur = this.r.latest.get(p.key);
      if (!cur || !isLater(cur, p)) this.r.latest.set(p.key, p);
    }
  }

  async writeInputs(inputs: readonly DatasetInput[]): Promise<void> {
    this.assertStored('log dataset inputs');
    for (const d of inputs) this.r.inputs.push({ ...d });
  }

  async writeArtifact(path: string, bytes: Uint8Array): Promise<void> {
    this.assertStored(`write artifact "${path}"`);
    this.r.artifacts.set(path, new Uint8Array(bytes));
  }

  async writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    this.assertStored('end the run');
    this.r.status = status;
    this.r.endTime = endTime;
  }
}

/** The in-process `Store`. */
export class MemoryStore implements Store {
  readonly registry: RegistryStore;

  constructor(
    readonly data: MemoryData,
    readonly uri: string,
  ) {
    this.registry = documentRegistry(
      async () => data.registry,
      (fn, check) =>
        data.underRegistryLock(async () => {
          await check?.();
          return fn(data.registry);
        }),
      async (id) => this.get(id),
    );
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    let e = this.data.experiments.get(name);
    if (!e) {
      e = { experimentId: String(this.data.experiments.size), name, creationTime: Date.now() };
      this.data.experiments.set(name, e);
    }
    return { ...e };
  }

  async getExperiment(name: string): Promise<Experiment | undefined> {
    const e = this.data.experiments.get(name);
    return e ? { ...e } : undefined;
  }

  async listExperiments(): Promise<Experiment[]> {
    return [...this.data.experiments.values()].map((e) => ({ ...e }));
  }

  async createRun(o: PreparedRun, exp: Experiment): Promise<RunStore> {
    // Object.assign, not a spread: the record stays a fast object (a spread cost 15 % of runs/s)
    const r: MemRun = Object.assign(newRunInfo(o, exp), {
      params: new Map<string, string>(),
      tags: new Map(o.tags.map((t) => [t.key, t.value])),
      history: new Map<string, MetricPoint[]>(),
      latest: new Map<string, MetricPoint>(),
      inputs: [] as DatasetInput[],
      artifacts: new Map<string, Uint8Array>(),
    });
    this.data.runs.set(r.runId, r);
    return new MemoryRun(r, this);
  }

  private get(runId: string): MemRun {
    const r = this.data.runs.get(runId);
    if (!r) throw new TrackingNotFoundError(`no run with id ${runId} in ${this.uri}`);
    return r;
  }

  async getRun(runId: string): Promise<RunRecord> {
    return record(this.get(runId));
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return sortHistory([...(this.get(runId).history.get(key) ?? [])]);
  }

  async listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    return [...this.get(runId).artifacts.entries()]
      .map(([path, b]) => ({ path, size: b.byteLength }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async readArtifact(runId: string, path: string): Promise<Uint8Array> {
    const b = this.get(runId).artifacts.get(path);
    if (!b) throw new TrackingNotFoundError(`run ${runId} has no artifact "${path}"`);
    return new Uint8Array(b);
  }

  async searchRuns(q: NormalizedQuery): Promise<RunRecord[]> {
    return applyQuery([...this.data.runs.values()].map(record), q);
  }

  async deleteRun(runId: string): Promise<void> {
    this.data.runs.delete(this.get(runId).runId);
  }

  /** Under the registry's lock, as a registration checks its run and adds its version. */
  async deleteUnregisteredRun(runId: string): Promise<ModelVersion[]> {
    return this.data.underRegistryLock(async () => {
      const r = this.get(runId); // a run already deleted is its own not_found
      const behind = versionsOfRunIn(this.data.registry, runId);
      if (behind.length === 0) this.data.runs.delete(r.runId);
      return behind;
    });
  }

  async terminateRun(runId: string, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    const r = this.get(runId);
    if (r.status !== 'RUNNING') throw new RunNotActiveError(runId, r.status, true);
    r.status = status;
    r.endTime = endTime;
  }

  async close(): Promise<void> {}
}

/** The in-process backend as a `Tracker`. */
export class MemoryTracker extends BaseTracker<MemoryStore> {
  constructor(data: MemoryData, uri: string) {
    super(new MemoryStore(data, uri));
  }
}

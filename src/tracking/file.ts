/**
 * The local store (`file:<dir>`), tsad's own documented on-disk format (docs/tracking.md):
 *
 * ```
 * <root>/tsad-store.json                          {"format":"tsad-store","version":1}
 * <root>/registry.json                            model registry (atomic rewrite under .lock-registry)
 * <root>/experiments/<expId>/experiment.json      {"experimentId","name","creationTime"}
 * <root>/experiments/<expId>/runs/<runId>/run.json       info, params, tags, inputs (atomic rewrite)
 * <root>/experiments/<expId>/runs/<runId>/metrics.jsonl  one JSON line per metric point, a batch line before a batch (append-only)
 * <root>/experiments/<expId>/runs/<runId>/artifacts/...  artifact files
 * ```
 *
 * `<expId>` is the first 16 hex digits of sha256(experiment name), so processes creating
 * the same experiment at once agree without a lock. `run.json` and `registry.json` are
 * read-modify-written under a lock file (stale locks of dead processes are broken) and
 * replaced atomically (temp + fsync + rename); readers never lock. Metric lines are
 * appended with O_APPEND, one write() per MiB of a batch's whole lines; a torn last line left by
 * a crash is ignored on read, and a batch of several points (opened by a batch line) is read
 * only once all its points are there.
 */
import { randomUUID } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TrackingError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import {
  applyQuery,
  BaseTracker,
  experimentIdFor,
  isLater,
  newRunInfo,
  type PreparedRun,
  type RegistryStore,
  runNameOf,
  sortHistory,
  validateRunId,
} from './common.js';
import {
  checkStoreMarker,
  decodeBatchLine,
  decodeMetricLine,
  parseExperimentDoc,
  parseRegistryDoc,
  parseRunDoc,
  type RunDoc,
  STORE_MARKER,
} from './file-docs.js';
import { FileRun } from './file-run.js';
import {
  assertNoSymlink,
  createFileExclusive,
  fsError,
  isErrno,
  isTempEntry,
  makeDirs,
  readFileNoFollow,
  resolveInside,
  storePathError,
  withLock,
} from './fsutil.js';
import { documentRegistry, emptyRegistry, type RegistryState, versionsOfRunIn } from './registry-state.js';
import type { RunStore, Store } from './store.js';
import {
  type ArtifactInfo,
  type Experiment,
  type MetricPoint,
  type ModelVersion,
  type NormalizedQuery,
  RunNotActiveError,
  type RunRecord,
  type RunStatus,
  TrackingNotFoundError,
  UnsafePathError,
} from './tracker.js';

export { decodeMetricLine, encodeMetricLine } from './file-docs.js';
export { experimentIdFor } from './params.js';

/** Incrementally read metrics of one run. */
interface MetricState {
  offset: number;
  history: Map<string, MetricPoint[]>;
  latest: Map<string, MetricPoint>;
  skipped: number;
}

export interface FileTrackerOptions {
  /**
   * Full durability: fsync the metrics file after every batch and the directory after every
   * rename (survives power loss; much slower). Default false: every acknowledged write
   * survives a crash of the process (SIGKILL), and files are always replaced atomically.
   */
  fsync?: boolean;
}

/** A run a search of the local store skipped because its run.json cannot be read. */
export interface UnreadableRun {
  readonly runId: string;
  readonly experimentId: string;
  /** The `TrackingError` message (`corrupt_store` or `unsupported_store`), naming the file. */
  readonly reason: string;
}

/** The local store's `Store`. */
export class FileStore implements Store {
  readonly uri: string;
  readonly fsync: boolean;
  private ready: Promise<void> | undefined;
  private readonly runDirs = new Map<string, string>();
  private readonly warnedRuns = new Set<string>();
  /** Runs whose run.json searches skipped (see `warnUnreadableRun`), in the order met. */
  readonly unreadable: UnreadableRun[] = [];
  /** Experiments known to exist (they are never deleted). */
  private readonly experiments = new Map<string, Experiment>();
  private readonly metricCache = new Map<string, MetricState>();
  readonly registry: RegistryStore = documentRegistry(
    () => this.readRegistry(),
    (fn, check) => this.updateRegistry(fn, check),
    (runId) => this.findRunDir(runId),
  );

  constructor(
    readonly root: string,
    uri?: string,
    opts: FileTrackerOptions = {},
  ) {
    this.uri = uri ?? `file:${root}`;
    this.fsync = opts.fsync ?? false;
  }

  private init(): Promise<void> {
    if (!this.ready) {
      this.ready = (async () => {
        const marker = join(this.root, 'tsad-store.json');
        // the marker is read while the folder is made: an existing store (the usual case) is
        // only read, with no temporary file and no fsync, so a read-only one (an archive, a mounted
        // copy) can be listed and searched; a new one is created as before. File-system refusals
        // are typed (storage_denied, storage_full).
        const [made, read] = await Promise.allSettled([
          makeDirs(join(this.root, 'experiments')),
          fsp.readFile(marker, 'utf8'),
        ]);
        if (read.status === 'fulfilled') {
          if (made.status === 'rejected' && !(await isDir(join(this.root, 'experiments')))) {
            throw storePathError(made.reason, this.root);
          }
          checkStoreMarker(read.value, this.root);
          return;
        }
        if (made.status === 'rejected') throw storePathError(made.reason, this.root);
        if (!isErrno(read.reason, 'ENOENT')) throw storePathError(read.reason, this.root, marker);
        try {
          await createFileExclusive(marker, `${JSON.stringify(STORE_MARKER)}\n`);
        } catch (err) {
          throw storePathError(err, this.root);
        }
        checkStoreMarker(await fsp.readFile(marker, 'utf8'), this.root);
      })();
      this.ready.catch(() => {
        this.ready = undefined;
      });
    }
    return this.ready;
  }

  private expDir(id: string): string {
    return join(this.root, 'experiments', id);
  }

  private async readExperiment(id: string): Promise<Experiment | undefined> {
    try {
      await assertNoSymlink(this.root, this.expDir(id));
      const path = join(this.expDir(id), 'experiment.json');
      return parseExperimentDoc(await readFileNoFollow(path), path);
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    const cached = this.experiments.get(name);
    if (cached) return { ...cached };
    await this.init();
    const id = experimentIdFor(name);
    const existing = await this.readExperiment(id);
    if (existing?.name === name) {
      this.experiments.set(name, existing);
      return { ...existing };
    }
    const dir = this.expDir(id);
    await assertNoSymlink(this.root, join(dir, 'runs'));
    await makeDirs(join(dir, 'runs'));
    const exp: Experiment = { experimentId: id, name, creationTime: Date.now() };
    await createFileExclusive(join(dir, 'experiment.json'), `${JSON.stringify(exp)}\n`);
    const got = await this.readExperiment(id);
    if (!got) throw new TrackingError('corrupt_store', `experiment ${id} vanished while being created`);
    if (got.name !== name) {
      throw new TrackingError('corrupt_store', `experiment id ${id} holds "${got.name}", not "${name}"`);
    }
    this.experiments.set(name, got);
    return { ...got };
  }

  async getExperiment(name: string): Promise<Experiment | undefined> {
    await this.init();
    const e = await this.readExperiment(experimentIdFor(name));
    return e && e.name === name ? e : undefined;
  }

  async listExperiments(): Promise<Experiment[]> {
    await this.init();
    const ids = await fsp.readdir(join(this.root, 'experiments'));
    const out: Experiment[] = [];
    for (const id of ids.sort()) {
      if (isTempEntry(id)) continue;
      const e = await this.readExperiment(id);
      if (e) out.push(e);
    }
    return out;
  }

  async createRun(o: PreparedRun, exp: Experiment): Promise<RunStore> {
    const dir = join(this.expDir(exp.experimentId), 'runs', o.runId);
    try {
      await assertNoSymlink(this.root, dir);
      await fsp.mkdir(dir);
    } catch (err) {
      throw fsError(err, `create run directory ${dir}`);
    }
    const doc: RunDoc = {
      format: 'tsad-run',
      version: 1,
      ...newRunInfo(o, exp),
      params: {},
      tags: Object.fromEntries(o.tags.map((t) => [t.key, t.value])),
      inputs: [],
    };
    try {
      await writeFileAtomic(join(dir, 'run.json'), JSON.stringify(doc), this.fsync);
    } catch (err) {
      await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw fsError(err, `write run.json of a new run in ${dir}`);
    }
    this.runDirs.set(o.runId, dir);
    return new FileRun(this, dir, doc);
  }

  /**
   * Read-modify-write of run.json under the run's lock. A run deleted before (its folder renamed
   * away) is `not_found`: the lock's temp file, the read and the rename all fail with ENOENT on the
   * old path, so nothing is written and the folder is not made again.
   */
  async updateRun(dir: string, fn: (doc: RunDoc) => void): Promise<void> {
    try {
      await withLock(join(dir, '.lock'), async () => {
        const doc = await this.readRunDoc(dir);
        fn(doc);
        await writeFileAtomic(join(dir, 'run.json'), JSON.stringify(doc), this.fsync);
      });
    } catch (err) {
      throw await this.writeError(dir, err, `update run.json in ${dir}`);
    }
  }

  /**
   * The error of a failed write to (or read of) the run in `dir`: `not_found` when the run is gone (ENOENT or
   * ENOTDIR and no run.json there any more: deleted, by this process or another), else `fsError`'s.
   * @internal
   */
  async writeError(dir: string, err: unknown, what: string): Promise<unknown> {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
      const gone = await fsp.lstat(join(dir, 'run.json')).then(
        () => false,
        (e: unknown) => isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR'),
      );
      if (gone) return this.deletedRun(basename(dir), what, err);
    }
    return fsError(err, what);
  }

  /** `not_found` for a write to run `runId`, which was deleted. @internal */
  deletedRun(runId: string, what: string, cause?: unknown): TrackingNotFoundError {
    this.runDirs.delete(runId);
    this.metricCache.delete(runId);
    return new TrackingNotFoundError(`no run with id ${runId} in ${this.uri} (deleted?): cannot ${what}`, {
      cause,
    });
  }

  /**
   * Warns (once per run directory and store object) that a run's run.json cannot be read, so
   * searches list the other runs; `getRun` on that run still throws the TrackingError.
   */
  private warnUnreadableRun(dir: string, err: TrackingError): void {
    if (this.warnedRuns.has(dir)) return;
    this.warnedRuns.add(dir);
    this.unreadable.push({
      runId: basename(dir),
      experimentId: basename(dirname(dirname(dir))),
      reason: err.message,
    });
    process.emitWarning(`skipping run ${basename(dir)}: ${err.message}`, { code: 'TSAD_UNREADABLE_RUN' });
  }

  private async readRunDoc(dir: string): Promise<RunDoc> {
    await assertNoSymlink(this.root, dir);
    const path = join(dir, 'run.json');
    return parseRunDoc(await readFileNoFollow(path), path);
  }

  private async findRunDir(runId: string): Promise<string> {
    const known = this.runDirs.get(runId);
    if (known) {
      // another process (or store object) may have deleted the run since: its run.json is then gone
      // (it is only ever replaced by a rename, never absent while the run exists); any other failure
      // of the check (EACCES, EIO) is that failure, not a deletion, and the folder stays remembered
      const there = await fsp.access(join(known, 'run.json')).then(
        () => true,
        (err: unknown) => {
          if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
          throw fsError(err, `read run ${runId}`);
        },
      );
      if (there) return known;
      throw this.deletedRun(runId, 'read it');
    }
    await this.init();
    for (const id of await fsp.readdir(join(this.root, 'experiments'))) {
      if (isTempEntry(id)) continue;
      const dir = join(this.expDir(id), 'runs', runId);
      try {
        await fsp.access(join(dir, 'run.json'));
      } catch {
        continue; // not in this experiment
      }
      await assertNoSymlink(this.root, join(dir, 'run.json'));
      this.runDirs.set(runId, dir);
      return dir;
    }
    throw new TrackingNotFoundError(`no run with id ${runId} in ${this.uri}`);
  }

  private async readMetrics(runId: string, dir: string): Promise<MetricState> {
    let st = this.metricCache.get(runId);
    if (!st) {
      st = { offset: 0, history: new Map(), latest: new Map(), skipped: 0 };
      this.metricCache.set(runId, st);
    }
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(join(dir, 'metrics.jsonl'), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return st;
      if (isErrno(err, 'ELOOP')) {
        throw new UnsafePathError(
          `${join(dir, 'metrics.jsonl')} is a symlink; symlinks inside the store are not followed`,
        );
      }
      throw err;
    }
    try {
      const size = (await fh.stat()).size;
      if (size <= st.offset) return st;
      const buf = Buffer.alloc(size - st.offset);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, st.offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const end = buf.lastIndexOf(0x0a, got - 1);
      if (end < 0) return st; // only a partial line so far
      const take = (p: MetricPoint) => {
        let h = st.history.get(p.key);
        if (!h) {
          h = [];
          st.history.set(p.key, h);
        }
        h.push(p);
        const cur = st.latest.get(p.key);
        if (!cur || !isLater(cur, p)) st.latest.set(p.key, p);
      };
      // the points of an open batch (after its batch line) wait until all of them have arrived
      let batch: { left: number; points: MetricPoint[]; start: number } | undefined;
      const drop = () => {
        if (batch) st.skipped += batch.points.length + 1; // cut short by a crash: none of it is read
        batch = undefined;
      };
      const text = buf.toString('utf8', 0, end);
      let pos = 0; // in UTF-16 code units of `text`
      for (const line of text.split('\n')) {
        const start = pos;
        pos += line.length + 1;
        if (line.length === 0) continue;
        const n = decodeBatchLine(line);
        if (n !== undefined) {
          drop(); // a new batch after an unfinished one: the writer died in the middle of it
          batch = { left: n, points: [], start };
          continue;
        }
        const p = decodeMetricLine(line);
        if (!p) {
          st.skipped++;
          drop(); // a torn line inside a batch
          continue;
        }
        if (!batch) {
          take(p);
          continue;
        }
        batch.points.push(p);
        if (--batch.left === 0) {
          for (const q of batch.points) take(q);
          batch = undefined;
        }
      }
      // an unfinished batch at the end is still being written (or its writer died): read it again
      // from its batch line next time. Its byte offset is counted back from the end over its own lines
      // (valid UTF-8, as written): bytes before it that are not UTF-8 (a torn line) decode to U+FFFD,
      // whose UTF-8 length is not theirs
      st.offset += batch ? end - Buffer.byteLength(text.slice(batch.start)) : end + 1;
      return st;
    } finally {
      await fh.close();
    }
  }

  private async record(dir: string): Promise<RunRecord> {
    const doc = await this.readRunDoc(dir);
    const m = await this.readMetrics(doc.runId, dir);
    return {
      info: {
        runId: doc.runId,
        experimentId: doc.experimentId,
        runName: runNameOf(doc.runName, doc.tags['mlflow.runName']),
        status: doc.status,
        startTime: doc.startTime,
        endTime: doc.endTime,
      },
      experiment: doc.experiment,
      data: { params: { ...doc.params }, metrics: Object.fromEntries(m.latest), tags: { ...doc.tags } },
      inputs: doc.inputs.map((d) => ({ ...d })),
    };
  }

  async getRun(runId: string): Promise<RunRecord> {
    const dir = await this.findRunDir(runId);
    try {
      return await this.record(dir);
    } catch (err) {
      // deleted by another process between the check and the read: not_found, not a raw ENOENT
      throw await this.writeError(dir, err, `read run ${runId}`);
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const dir = await this.findRunDir(runId);
    const m = await this.readMetrics(runId, dir);
    return sortHistory([...(m.history.get(key) ?? [])]);
  }

  /** Lines of the run's metric log that could not be parsed (torn by a crash). */
  async skippedMetricLines(runId: string): Promise<number> {
    const dir = await this.findRunDir(runId);
    return (await this.readMetrics(runId, dir)).skipped;
  }

  async listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    const root = join(await this.findRunDir(runId), 'artifacts');
    const out: ArtifactInfo[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return;
        throw err;
      }
      for (const e of entries) {
        if (isTempEntry(e.name)) continue;
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(join(dir, e.name), p);
        else if (e.isFile()) out.push({ path: p, size: (await fsp.stat(join(dir, e.name))).size });
        // symlinks are never listed or followed
      }
    };
    await walk(root, '');
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async readArtifact(runId: string, path: string): Promise<Uint8Array> {
    const root = join(await this.findRunDir(runId), 'artifacts');
    const file = await resolveInside(root, path, false);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (isErrno(err, 'ELOOP')) throw new TrackingError('unsafe_path', `artifact "${path}" is a symlink`);
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
        throw new TrackingNotFoundError(`run ${runId} has no artifact "${path}"`);
      }
      throw err;
    }
    try {
      return new Uint8Array(await fh.readFile());
    } finally {
      await fh.close();
    }
  }

  /**
   * The run directory is renamed to a temp entry first (one atomic step: readers see the whole
   * run or none of it), then removed; a crash in between leaves only a temp entry, never listed.
   */
  async deleteRun(runId: string): Promise<void> {
    await this.removeRunDir(await this.moveRunAway(runId));
  }

  /**
   * The registry read and the run's folder renamed away under the registry's lock, which a registration
   * holds while it checks that its run is there and adds its version (documentRegistry): a registration
   * comes wholly before (its version is seen: nothing deleted) or after (its run is gone: `not_found`).
   */
  async deleteUnregisteredRun(runId: string): Promise<ModelVersion[]> {
    await this.init();
    let behind: ModelVersion[] = [];
    let gone: string | undefined;
    try {
      await withLock(join(this.root, '.lock-registry'), async () => {
        behind = versionsOfRunIn(await this.readRegistry(), runId);
        if (behind.length > 0)
          await this.findRunDir(runId); // a run already deleted is its own not_found
        else gone = await this.moveRunAway(runId);
      });
    } catch (err) {
      throw fsError(err, `delete run ${runId}`);
    }
    if (gone !== undefined) await this.removeRunDir(gone);
    return behind;
  }

  /** Renames the run's folder to a temp entry (no reader sees it after); the temp entry's path. */
  private async moveRunAway(runId: string): Promise<string> {
    const dir = await this.findRunDir(runId);
    const gone = join(dirname(dir), `.tmp-deleted-${basename(dir)}-${randomUUID().slice(0, 8)}`);
    try {
      await assertNoSymlink(this.root, dir);
      await fsp.rename(dir, gone);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new TrackingNotFoundError(`no run with id ${runId} in ${this.uri}`);
      throw fsError(err, `delete run directory ${dir}`);
    }
    this.runDirs.delete(runId);
    this.metricCache.delete(runId);
    return gone;
  }

  private async removeRunDir(gone: string): Promise<void> {
    await fsp.rm(gone, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Checked and written under the run's lock: two processes ending one run, one of them is refused. */
  async terminateRun(runId: string, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    const dir = await this.findRunDir(runId);
    await this.updateRun(dir, (doc) => {
      if (doc.status !== 'RUNNING') throw new RunNotActiveError(runId, doc.status, true);
      doc.status = status;
      doc.endTime = endTime;
    });
  }

  async searchRuns(q: NormalizedQuery): Promise<RunRecord[]> {
    await this.init();
    let exps = await this.listExperiments();
    if (q.experiments) {
      const want = new Set(q.experiments);
      exps = exps.filter((e) => want.has(e.name));
    }
    const dirs: string[] = [];
    for (const e of exps) {
      const runsDir = join(this.expDir(e.experimentId), 'runs');
      let ids: string[] = [];
      try {
        ids = await fsp.readdir(runsDir);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      for (const id of ids) if (!isTempEntry(id)) dirs.push(join(runsDir, id));
    }
    const records: RunRecord[] = [];
    const BATCH = 32;
    for (let i = 0; i < dirs.length; i += BATCH) {
      const got = await Promise.all(
        dirs.slice(i, i + BATCH).map((d) =>
          this.record(d).catch((err: unknown) => {
            if (isErrno(err, 'ENOENT')) return undefined; // a run directory whose run.json is not written yet
            if (isUnreadableRun(err)) {
              this.warnUnreadableRun(d, err);
              return undefined; // one bad run.json must not hide the others
            }
            throw err;
          }),
        ),
      );
      for (const r of got) if (r) records.push(r);
    }
    return applyQuery(records, q);
  }

  // --- registry -------------------------------------------------------------------------

  private registryPath(): string {
    return join(this.root, 'registry.json');
  }

  private async readRegistry(): Promise<RegistryState> {
    await this.init();
    try {
      return parseRegistryDoc(await readFileNoFollow(this.registryPath()), this.registryPath());
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return emptyRegistry();
      throw err;
    }
  }

  private async updateRegistry<T>(fn: (s: RegistryState) => T, check?: () => Promise<unknown>): Promise<T> {
    await this.init();
    try {
      return await withLock(join(this.root, '.lock-registry'), async () => {
        await check?.();
        const s = await this.readRegistry();
        const out = fn(s);
        await writeFileAtomic(this.registryPath(), JSON.stringify(s, null, 1), this.fsync);
        return out;
      });
    } catch (err) {
      throw fsError(err, 'update the model registry (registry.json)');
    }
  }

  async close(): Promise<void> {
    this.metricCache.clear();
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The local store as a `Tracker`. */
export class FileTracker extends BaseTracker<FileStore> {
  constructor(root: string, uri?: string, opts: FileTrackerOptions = {}) {
    super(new FileStore(root, uri, opts));
  }

  get root(): string {
    return this.store.root;
  }

  get fsync(): boolean {
    return this.store.fsync;
  }

  /**
   * Runs that searches of this tracker skipped so far because their run.json cannot be read (each
   * also emitted one `TSAD_UNREADABLE_RUN` process warning); `tsad runs export` reports them.
   */
  unreadableRuns(): readonly UnreadableRun[] {
    return [...this.store.unreadable];
  }

  /** Lines of the run's metric log that could not be parsed (torn by a crash). */
  skippedMetricLines(runId: string): Promise<number> {
    return this.store.skippedMetricLines(validateRunId(runId));
  }
}

/** A run.json that is not valid JSON, has the wrong shape, or was written by another tsad version. */
function isUnreadableRun(err: unknown): err is TrackingError {
  return err instanceof TrackingError && (err.code === 'corrupt_store' || err.code === 'unsupported_store');
}

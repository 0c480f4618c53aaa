/**
 * Saving and restoring one series' stream state.
 *
 * Two codecs, chosen per model: when a detector's stream can save itself (`stream.toJSON()`, resumed
 * with `loadModel(json).stream()`), the checkpoint is that JSON; otherwise the checkpoint is the list
 * of points the stream has seen since the model was loaded, and restoring replays them into a fresh
 * stream of the same model (streams are deterministic, so the replayed stream gives the same scores
 * as the original from then on). Replay checkpoints grow with the series (16 bytes a point).
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { releaseStream } from '../detectors/release.js';
import type { JsonValue, StreamResult, StreamScorer } from '../detectors/types.js';
import { UMASK_MODE, writeFileAtomic } from '../fs-atomic.js';
import { makeDirs } from '../fs-dirs.js';
import { timeRangeProblem } from '../series/series.js';
import { ServeError } from './errors.js';

/** A stream that can be checkpointed: `push` plus `save()`. */
export interface SavableStream {
  push(t: number, v: number): StreamResult;
  /** The state to restore from (JSON-serialisable). */
  save(): JsonValue;
  /**
   * Called once when the service drops the stream for good (evicted after its checkpoint landed,
   * deleted, restarted by a reload, or at `close()`); the service never uses it again. `streamFactory`'s
   * streams give their Random Cut Forests' memory back for reuse by the next series here. It is not
   * awaited; one that throws, or returns a promise that rejects, is counted
   * (`tsad_stream_release_failures_total`) and logged (`ServeError` `release_failed`), and changes
   * nothing else the service does (docs/serving.md, "Memory under churn").
   */
  release?(): void;
}

/** What the service needs from a model: a fresh stream, and a stream restored from `save()`. */
export interface StreamFactory {
  create(): SavableStream;
  restore(saved: JsonValue): SavableStream;
}

type SelfSaving = StreamScorer & { toJSON(): JsonValue };

function isSelfSaving(s: StreamScorer): s is SelfSaving {
  return typeof (s as { toJSON?: unknown }).toJSON === 'function';
}

/** A stream that saves itself (`toJSON()`), as a checkpointable stream. */
function selfSaved(s: SelfSaving): SavableStream {
  return {
    push: (t, v) => s.push(t, v),
    save: () => ({ kind: 'stream', state: s.toJSON() }),
    release: () => {
      releaseStream(s);
    },
  };
}

/** Replay codec: records every point in growing typed arrays. */
class ReplayStream implements SavableStream {
  private t = new Float64Array(64);
  private v = new Float64Array(64);
  private n = 0;
  constructor(private readonly inner: StreamScorer) {}
  release(): void {
    releaseStream(this.inner);
  }
  push(t: number, v: number): StreamResult {
    const r = this.inner.push(t, v);
    if (this.n === this.t.length) {
      const t2 = new Float64Array(this.n * 2);
      t2.set(this.t);
      this.t = t2;
      const v2 = new Float64Array(this.n * 2);
      v2.set(this.v);
      this.v = v2;
    }
    this.t[this.n] = t;
    this.v[this.n] = v;
    this.n++;
    return r;
  }
  save(): JsonValue {
    return {
      kind: 'replay',
      t: Array.from(this.t.subarray(0, this.n)),
      v: Array.from(this.v.subarray(0, this.n)),
    };
  }
  replay(t: readonly number[], v: readonly number[]): void {
    for (let i = 0; i < t.length; i++) this.push(t[i], v[i]);
  }
}

/**
 * The stream factory of a model. `newStream` gives an independent stream continuing from the end of
 * training; `loadState` turns a stream's own JSON back into a stream (both from the detectors layer).
 */
export function streamFactory(
  newStream: () => StreamScorer,
  loadState?: (json: JsonValue) => StreamScorer,
): StreamFactory {
  return {
    create(): SavableStream {
      const s = newStream();
      if (isSelfSaving(s) && loadState) return selfSaved(s);
      return new ReplayStream(s);
    },
    restore(saved: JsonValue): SavableStream {
      const o = saved as { kind?: string; state?: JsonValue; t?: number[]; v?: number[] };
      if (o.kind === 'stream' && loadState && o.state !== undefined) {
        const s = loadState(o.state);
        if (isSelfSaving(s)) return selfSaved(s);
      }
      if (o.kind === 'replay' && Array.isArray(o.t) && Array.isArray(o.v) && o.t.length === o.v.length) {
        const r = new ReplayStream(newStream());
        r.replay(o.t, o.v);
        return r;
      }
      throw new ServeError(
        'checkpoint_unreadable',
        `a checkpoint of kind ${String(o.kind)} cannot be restored by this model; delete the series' checkpoint to restart it from its model`,
        500,
      );
    },
  };
}

/** One series' checkpoint file. */
export interface SeriesCheckpoint {
  readonly format: 'tsad-serve-checkpoint';
  readonly version: 1;
  readonly id: string;
  /** Identity of the model version the state belongs to (e.g. `models:/cpu/3`). */
  readonly model: string;
  readonly points: number;
  /**
   * Time of the series' last point. tsad writes no checkpoint of a series without points; files an
   * earlier tsad wrote for one hold `null` here, read back as `-Infinity` (no point yet).
   */
  readonly lastT: number;
  readonly alarms: readonly { t: number; score: number }[];
  readonly state: JsonValue;
}

/** Why `cp` is not a readable version-1 checkpoint of series `id`, or undefined when it is. */
function checkpointProblem(cp: unknown, id: string): string | undefined {
  if (typeof cp !== 'object' || cp === null || Array.isArray(cp)) return 'is not a JSON object';
  const c = cp as Partial<Record<keyof SeriesCheckpoint, unknown>>;
  if (c.format !== 'tsad-serve-checkpoint')
    return `is not a tsad checkpoint (format ${JSON.stringify(c.format)})`;
  if (c.version !== 1) {
    const v = c.version;
    return typeof v === 'number' && Number.isInteger(v) && v > 1
      ? `has version ${v}, newer than this tsad reads (version 1): a later tsad wrote it; upgrade tsad to resume the series`
      : `has version ${v === undefined ? '(missing)' : JSON.stringify(v)}, which no tsad writes (this tsad reads version 1)`;
  }
  if (c.id !== id) return `belongs to series ${JSON.stringify(c.id)}`;
  const missing = (['model', 'points', 'lastT', 'alarms', 'state'] as const).filter(
    (k) => c[k] === undefined,
  );
  // an earlier tsad checkpointed a series evicted before its first point: lastT -Infinity, null in JSON
  const noPointYet = c.points === 0 && c.lastT === null;
  if (
    typeof c.model !== 'string' ||
    typeof c.points !== 'number' ||
    (typeof c.lastT !== 'number' && !noPointYet) ||
    !Array.isArray(c.alarms) ||
    missing.length > 0
  ) {
    return `is incomplete or malformed (${missing.length ? `missing ${missing.join(', ')}` : 'a field of the wrong type'})`;
  }
  return undefined;
}

/**
 * The way out of a checkpoint that cannot be resumed, for the messages that refuse it: only that series
 * restarts, from its model; its file is kept (with its last alarms) wherever the user moves it.
 */
export function resetHint(dir: string | undefined): string {
  const drop =
    dir === undefined
      ? 'delete it from the checkpoint store (CheckpointStore.delete)'
      : `move it out of the checkpoint folder ${dir} (keep it: it holds the series' last alarms)`;
  return `to restart the series from its model, ${drop}; the next point restarts it, the other series keep their state and the service need not restart`;
}

/** Where checkpoints live. The directory store writes one file per series, atomically. */
export interface CheckpointStore {
  load(id: string): Promise<SeriesCheckpoint | undefined>;
  /**
   * Whether a checkpoint of `id` is kept, readable or not, without reading it (`DELETE /v1/series/:id`
   * asks this before deleting); optional: without it, the service loads the checkpoint to tell. Rejects
   * when the store cannot tell (unreachable, timed out). `false` must mean none is kept: DELETE then
   * deletes nothing, and a checkpoint `has` missed would restore the series on its next point.
   */
  has?(id: string): Promise<boolean>;
  /** Where the checkpoint of `id` is kept (a file's path), for messages; optional. */
  where?(id: string): string;
  save(cp: SeriesCheckpoint): Promise<void>;
  delete(id: string): Promise<void>;
  list(): Promise<string[]>;
}

/** File-system errors a retry may get past (a device or network mount failing, a full disk, a descriptor limit). */
const PASSING: ReadonlySet<string> = new Set([
  'EIO',
  'ENOSPC',
  'EDQUOT',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'EINTR',
  'ENOMEM',
  'ESTALE',
  'ETIMEDOUT',
]);

/** What the operator does about a file-system error of the checkpoint folder `dir`. */
function fsHint(code: string | undefined, dir: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `this user cannot read or write there: give it access to ${dir} and its files, or point --checkpoints at a folder it owns`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `a part of ${dir} is a file, not a folder: move that file away, or point --checkpoints at a folder`;
    case 'EISDIR':
      return 'a folder stands where the checkpoint file should be: move that folder out of the checkpoint folder';
    case 'ELOOP':
      return `symbolic links under ${dir} loop: fix them`;
    case 'EROFS':
      return `the file system of ${dir} is read-only (mounted so, or remounted after errors): make it writable or point --checkpoints elsewhere`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `the file system of ${dir} is full (or this user's quota is used up): free space there`;
    case 'EIO':
      return `the file system of ${dir} reported an I/O error: check the disk or the network mount it is on`;
    case 'EMFILE':
    case 'ENFILE':
      return 'the process has too many open files: raise the limit (ulimit -n) or lower the load';
    default:
      return `check ${dir} and the file system it is on`;
  }
}

/**
 * The directory store's file system failed on the checkpoint of `id` (reading, writing or deleting it):
 * `checkpoint_store_failed`, HTTP 503 when a retry may get past it (EIO, ENOSPC, EMFILE, ESTALE, …),
 * 500 when the operator must act first (EACCES, a file where the folder should be, a read-only mount),
 * the message naming the file, the system code and what to fix. Nothing is wrong with the checkpoint.
 */
function storeIoError(
  dir: string,
  path: string,
  id: string,
  doing: 'read' | 'write' | 'delete',
  err: unknown,
): ServeError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what = typeof code === 'string' ? code : String((err as Error | undefined)?.message ?? err);
  return new ServeError(
    'checkpoint_store_failed',
    `cannot ${doing} the checkpoint ${path} of series "${id}" (${what}): ${fsHint(code, dir)}`,
    code !== undefined && PASSING.has(code) ? 503 : 500,
    { cause: err },
  );
}

const fileOf = (id: string) => `${encodeURIComponent(id).replace(/\./g, '%2E')}.json`;

export class DirectoryCheckpointStore implements CheckpointStore {
  constructor(readonly dir: string) {}
  /** The file holding the checkpoint of `id`. */
  where(id: string): string {
    return join(this.dir, fileOf(id));
  }
  async has(id: string): Promise<boolean> {
    try {
      await stat(this.where(id));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw storeIoError(this.dir, this.where(id), id, 'read', err);
    }
  }
  async load(id: string): Promise<SeriesCheckpoint | undefined> {
    const path = this.where(id);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storeIoError(this.dir, path, id, 'read', err);
    }
    let cp: SeriesCheckpoint;
    try {
      cp = JSON.parse(text) as SeriesCheckpoint;
    } catch (err) {
      // kept as it is (it may be restored from a backup); the series is refused until then
      throw new ServeError(
        'checkpoint_unreadable',
        `the checkpoint ${path} of series "${id}" is not valid JSON (${(err as Error).message}); delete it to restart the series from its model, or restore it from a backup`,
        500,
        { cause: err },
      );
    }
    // a file that parses but is not this series' checkpoint of a version this tsad reads (another
    // program's file, a newer tsad's, a partial object) is refused like an unparsable one: treated
    // as absent, it would be replaced by the next checkpoint and its state lost
    const what = checkpointProblem(cp, id);
    if (what) {
      throw new ServeError(
        'checkpoint_unreadable',
        `the checkpoint ${path} of series "${id}" ${what}; delete it to restart the series from its model, or restore it from a backup`,
        500,
      );
    }
    // an earlier tsad let a series take a time a Date cannot hold (a stream now refuses it, bad_time)
    // and checkpointed it: no stream resumes from it, and every later point would be out of order
    const far = typeof cp.lastT === 'number' ? timeRangeProblem(cp.lastT) : '';
    if (far) {
      throw new ServeError(
        'checkpoint_unreadable',
        `the checkpoint ${path} of series "${id}" holds a last point time this tsad cannot resume from (${far}; an earlier tsad took it); ${resetHint(this.dir)}`,
        500,
      );
    }
    return cp.lastT === null ? { ...cp, lastT: Number.NEGATIVE_INFINITY } : cp;
  }
  /**
   * Writes the file whole (temp file, fsync, rename) and then fsyncs the folder, so a checkpoint
   * once written survives a crash or power loss. Its mode is the umask's (`UMASK_MODE`): it holds the
   * user's model state, so who may read it is the user's to say.
   */
  async save(cp: SeriesCheckpoint): Promise<void> {
    try {
      await makeDirs(this.dir);
      await writeFileAtomic(this.where(cp.id), JSON.stringify(cp), true, UMASK_MODE);
    } catch (err) {
      throw storeIoError(this.dir, this.where(cp.id), cp.id, 'write', err);
    }
  }
  async delete(id: string): Promise<void> {
    try {
      await rm(this.where(id), { force: true });
    } catch (err) {
      throw storeIoError(this.dir, this.where(id), id, 'delete', err);
    }
  }
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir))
        .filter((f) => f.endsWith('.json'))
        .map((f) => decodeURIComponent(f.slice(0, -5)));
    } catch {
      return [];
    }
  }
}

/**
 * An active run in the local store: metric lines appended with one `write(2)` per MiB of a batch on an
 * `O_APPEND` descriptor (a batch line first; cut back on failure), `run.json` read-modify-written under the run lock.
 */
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic.js';
import { newParams, type ValidBatch } from './common.js';
import type { FileStore } from './file.js';
import { encodeBatchLine, encodeNumber, type RunDoc } from './file-docs.js';
import { assertNoSymlink, fsError, isErrno, resolveInside } from './fsutil.js';
import type { RunStore } from './store.js';
import {
  type DatasetInput,
  type MetricPoint,
  type RunStatus,
  TrackingNotFoundError,
  UnsafePathError,
} from './tracker.js';

const MAX_WRITE = 1 << 20;

export class FileRun implements RunStore {
  private readonly id: string;
  private fh: fsp.FileHandle | undefined;
  private opening: Promise<fsp.FileHandle> | undefined;
  private readonly keyJson = new Map<string, string>();
  /** The metric appends of this run, one after another (a large batch's write(2) calls are not interleaved). */
  private appending: Promise<unknown> = Promise.resolve();
  /** A failed batch could not be cut back: the next batch opens with a batch line, whatever its size. */
  private uncut = false;

  constructor(
    private readonly tracker: FileStore,
    private readonly dir: string,
    readonly info: RunDoc,
  ) {
    this.id = info.runId;
  }

  private metricsFile(): Promise<fsp.FileHandle> {
    if (this.fh) return Promise.resolve(this.fh);
    if (!this.opening) {
      this.opening = (async () => {
        await assertNoSymlink(this.tracker.root, this.dir);
        const fh = await fsp
          .open(
            join(this.dir, 'metrics.jsonl'),
            constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
            0o644,
          )
          .catch((err: unknown) => {
            if (isErrno(err, 'ELOOP')) {
              throw new UnsafePathError(
                `${join(this.dir, 'metrics.jsonl')} is a symlink; it is not followed`,
              );
            }
            throw err;
          });
        try {
          // a torn last line from a crashed writer gets terminated before we append
          const st = await fh.stat();
          if (st.size > 0) {
            const rf = await fsp.open(
              join(this.dir, 'metrics.jsonl'),
              constants.O_RDONLY | constants.O_NOFOLLOW,
            );
            const b = Buffer.alloc(1);
            try {
              await rf.read(b, 0, 1, st.size - 1);
            } finally {
              await rf.close();
            }
            if (b[0] !== 0x0a) await fh.write('\n');
          }
        } catch (err) {
          await fh.close();
          this.opening = undefined; // the next call tries again
          throw err;
        }
        this.fh = fh;
        return fh;
      })();
    }
    return this.opening;
  }

  private line(m: MetricPoint): string {
    let k = this.keyJson.get(m.key);
    if (k === undefined) {
      k = JSON.stringify(m.key);
      this.keyJson.set(m.key, k);
    }
    return `{"k":${k},"v":${encodeNumber(m.value)},"s":${m.step},"t":${m.timestamp}}\n`;
  }

  async writeBatch(b: ValidBatch): Promise<void> {
    if (b.params.length > 0 || b.tags.length > 0) {
      await this.tracker.updateRun(this.dir, (doc) => {
        const fresh = newParams(this.id, doc.params, b.params);
        for (const p of fresh) doc.params[p.key] = p.value;
        for (const t of b.tags) doc.tags[t.key] = t.value;
      });
    }
    if (b.metrics.length === 0) return;
    // one batch at a time: the chunks of two large batches logged at once would interleave, and a
    // reader would drop the one whose points a batch line of the other cut in two
    const next = this.appending.then(() => this.appendMetrics(b.metrics));
    this.appending = next.catch(() => undefined);
    await next;
  }

  private async appendMetrics(metrics: ValidBatch['metrics']): Promise<void> {
    let fh: fsp.FileHandle;
    try {
      fh = await this.metricsFile();
    } catch (err) {
      throw await this.tracker.writeError(this.dir, err, `open the metrics of run ${this.id}`);
    }
    // A batch is all or nothing: a write that fails half-way (a full disk) is cut back to the
    // size before the batch, so no torn line is left for the next batch to be appended onto; a
    // batch of several points opens with a batch line, so one a crash cut short is not read back.
    const st = await fh.stat();
    // a file held open from before the run's deletion has no link left once the deletion removed
    // the run's folder: appending would resolve and store nothing (the fstat is taken anyway)
    if (st.nlink === 0) {
      await this.closeMetrics();
      throw this.tracker.deletedRun(this.id, `log ${metrics.length} metric point(s)`);
    }
    const before = st.size;
    try {
      // after a batch that could not be cut back (whole lines of it may be in the file), even one
      // point opens with a batch line, so the reader drops that batch instead of counting this point in it
      let chunk = metrics.length > 1 || this.uncut ? `${encodeBatchLine(metrics.length)}\n` : '';
      for (const m of metrics) {
        chunk += this.line(m);
        if (chunk.length >= MAX_WRITE) {
          await writeAll(fh, chunk);
          chunk = '';
        }
      }
      if (chunk) await writeAll(fh, chunk);
      this.uncut = false;
      if (this.tracker.fsync) await fh.datasync();
    } catch (err) {
      await fh.truncate(before).catch(() => {
        // could not cut back: close, so the next batch reopens and terminates the torn line
        this.uncut = true;
        this.fh = undefined;
        this.opening = undefined;
        return fh.close().catch(() => undefined);
      });
      throw fsError(err, `log ${metrics.length} metric point(s) to run ${this.id}`);
    }
  }

  async writeInputs(inputs: readonly DatasetInput[]): Promise<void> {
    await this.tracker.updateRun(this.dir, (doc) => {
      for (const d of inputs) doc.inputs.push({ ...d });
    });
  }

  async writeArtifact(path: string, bytes: Uint8Array): Promise<void> {
    try {
      // the artifacts folder is made inside the run's folder only while that is there (a run
      // deleted before: ENOENT, nothing made)
      const target = await resolveInside(join(this.dir, 'artifacts'), path, true);
      await writeFileAtomic(target, bytes, this.tracker.fsync);
    } catch (err) {
      throw await this.tracker.writeError(this.dir, err, `write artifact "${path}" of run ${this.id}`);
    }
  }

  async writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    try {
      await this.tracker.updateRun(this.dir, (doc) => {
        doc.status = status;
        doc.endTime = endTime;
      });
    } catch (err) {
      // a deleted run ends nowhere: its metrics file is not kept open
      if (err instanceof TrackingNotFoundError) await this.closeMetrics().catch(() => undefined);
      throw err;
    }
    await this.closeMetrics();
  }

  /** Closes the metrics file (synced first unless every batch was); the next batch opens it again. */
  private async closeMetrics(): Promise<void> {
    const fh = this.fh ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    this.fh = undefined;
    this.opening = undefined;
    if (fh) {
      if (!this.tracker.fsync) await fh.datasync().catch(() => undefined);
      await fh.close();
    }
  }
}

async function writeAll(fh: fsp.FileHandle, text: string): Promise<void> {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

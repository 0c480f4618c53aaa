/**
 * `createService()`: the scoring service — live series (LRU, checkpointed), models resolved from the
 * registry with hot reload, a Fastify app with zod-validated routes, Prometheus metrics, training in
 * worker threads, and a `close()` that checkpoints every live series.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { epochSecondsHint } from '../detectors/input.js';
import { sharedMemory } from '../detectors/rcf/wasm/walk-module.js';
import { ConfigError, TsadError } from '../errors.js';
import { jsonForMessage, parseTime, timeRangeProblem } from '../series/series.js';
import type { Tracker } from '../tracking/tracker.js';
import { validateAlias, validateExperimentName, validateModelName } from '../tracking/validate.js';
import {
  type CheckpointStore,
  DirectoryCheckpointStore,
  resetHint,
  type SavableStream,
  type SeriesCheckpoint,
} from './checkpoint.js';
import { ServeError, type ServeErrorCode } from './errors.js';
import { ServeMetrics } from './metrics.js';
import { type ModelGroup, ModelResolver } from './models.js';
import { trainOwnArrays } from './trainer.js';

/** A series' stream refused for want of forest memory, already told apart by `forestLimitHit`. */
class ForestLimit extends Error {
  constructor(cause: unknown) {
    super('no WebAssembly memory for a random cut forest', { cause });
  }
}

/** The longest delay a Node timer holds (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** Rounds of eviction before a series whose forest cannot be reserved is refused (`withForestRoom`). */
const FOREST_ROUNDS = 3;

/**
 * Whether `err`, thrown while a series' stream was created or restored, is the process's forest limit
 * (docs/rcf.md, Round 6): `bad_capacity` from a forest built anew, or `bad_state` from a saved forest
 * being read (its reader reports the refused memory as a bad field of the state, message and all), in
 * which case it is the limit only when a one-page WebAssembly memory cannot be reserved either.
 */
function forestLimitHit(err: unknown): boolean {
  if (!(err instanceof TsadError)) return false;
  if (err.name === 'DetectorError' && err.code === 'bad_capacity') return true;
  if (err.code !== 'bad_state') return false;
  try {
    sharedMemory(1); // garbage at once
    return false;
  } catch (e) {
    return e instanceof TsadError && e.code === 'bad_capacity';
  }
}

export interface ServiceOptions {
  /** Default model of every series: `models:/NAME@ALIAS`, `models:/NAME/N`, or a model file. */
  model: string;
  /** Series whose id starts with `prefix` use `ref` instead (longest prefix wins). */
  groups?: readonly ModelGroup[];
  /** The registry (needed for `models:/` references and for training). */
  tracker?: Tracker;
  /** Where series state is checkpointed; without one, state lives in memory only. */
  checkpoints?: CheckpointStore;
  /**
   * Live series kept in memory (default 100,000); the least recently used are checkpointed and evicted.
   * With a Random Cut Forest model (the default ensemble) keep it below 12,000: one process holds about
   * 12,900 forests, and past that the service evicts to make room (docs/serving.md).
   */
  maxSeries?: number;
  /** Checkpoint a series after this many points (default 1,000). */
  checkpointEvery?: number;
  /**
   * How long a request (and `close()`) waits for the checkpoint store, in ms (default 10,000; at most
   * 2,147,483,647): a load, a DELETE's check and deletion, a write of the series it needs to finish. Past
   * it the request answers `503 checkpoint_store_failed` and changes nothing; the store's call is not
   * cancelled, and its late answer is ignored (writes of one series still happen in order).
   */
  storeTimeoutMs?: number;
  /** Alarms kept per series for `GET /v1/series/:id` (default 20). */
  keepAlarms?: number;
  /** Largest batch accepted by `POST /v1/series/:id/points` (default 10,000). */
  maxBatch?: number;
  /** Fastify logger (default off). */
  logger?: boolean;
  /** Process-level default metrics in /metrics (default true). */
  defaultMetrics?: boolean;
}

interface Live {
  readonly id: string;
  readonly ref: string;
  readonly version: string;
  readonly stream: SavableStream;
  points: number;
  lastT: number;
  lastScore: number | null;
  lastAlarm: boolean;
  sinceCheckpoint: number;
  alarms: { t: number; score: number }[];
  /**
   * Set when the series was forgotten (`DELETE /v1/series/:id`) or restarted by a reload while a request
   * held it: that request opens the series again instead of pushing into (and bringing back) the old state.
   */
  dropped: boolean;
  /**
   * Set when the service gave up this stream for good (`release`): evicted once its checkpoint landed,
   * dropped, or at `close()`. Its memory may be another series' now; a request holding it opens the
   * series again (from its checkpoint).
   */
  released: boolean;
}

/**
 * A finite number. A JSON number beyond the largest double (1.8e308) parses as ±Infinity: the message
 * says so instead of zod's "expected number, received Infinity".
 */
const finite = z
  .number({
    error: (iss) =>
      iss.input === Number.POSITIVE_INFINITY || iss.input === Number.NEGATIVE_INFINITY
        ? `${iss.input === Number.POSITIVE_INFINITY ? '' : '-'}Infinity: the number is beyond the largest double (±1.7976931348623157e308; JSON such as 1.8e308 reads as Infinity); send a finite number`
        : undefined,
  })
  .finite();
const time = z.union([finite, z.string().min(1)]);
const point = z.object({ t: time, v: finite }).strict();
const batchBody = z.object({ points: z.array(point).min(1) }).strict();
/** One point, or `{ points: [...] }`; each checked by its own schema, so an error names the field. */
const body = {
  safeParse(x: unknown) {
    return x !== null && typeof x === 'object' && 'points' in x ? batchBody.safeParse(x) : point.safeParse(x);
  },
};
const idParam = z.object({
  id: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\w.:@-]+$/),
});
const trainBody = z
  .object({
    detector: z.string().default('default'),
    seed: z.number().int().default(0),
    points: z.object({ t: z.array(time).min(2), v: z.array(finite).min(2) }),
    alias: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional(),
    experiment: z.string().default('tsad-serve'),
  })
  .strict();

/**
 * A point's time as epoch ms, read as the series layer reads times (`parseTime`: ISO 8601, UTC when the
 * string names no zone, calendar fields checked; numbers are epoch ms) and within the range a Date can
 * hold: a time beyond it would be taken, and then every later point of the series would be out of order.
 */
function toMs(t: number | string, what: string): number {
  const ms = typeof t === 'number' ? t : parseTime(t);
  if (Number.isNaN(ms))
    throw new ServeError(
      'bad_time',
      `${what}: time ${JSON.stringify(t)} is not ISO 8601 (2024-05-01T10:00:00Z; without a zone it is UTC) or epoch milliseconds`,
    );
  const range = timeRangeProblem(ms);
  if (range !== '') throw new ServeError('bad_time', `${what}: ${range}`);
  return ms;
}

/** One scored point of a batch. */
interface PointResult {
  t: number;
  score: number;
  alarm: boolean;
}

/**
 * The model's stream refused point `i` of a batch (a TsadError leaves the stream unchanged). A point at
 * or before the model's own last point (a fresh series' first point) is `out_of_order`; any other
 * refusal is `point_refused`, naming the detector's error. The points before `i` were scored and kept
 * (their results are in the answer), so the series stays consistent and the client resends from `i`.
 */
function pointRefused(
  err: unknown,
  i: number,
  t: number,
  lastT: number,
  results: readonly PointResult[],
): unknown {
  if (!(err instanceof TsadError)) return err;
  const kept =
    i === 0
      ? 'nothing was pushed'
      : `points 0..${i - 1} were scored and kept (the series is now at t=${lastT}; their results are in this answer): resend from point ${i}`;
  if (err.name === 'DetectorError' && err.code === 'bad_time')
    return new ServeError(
      'out_of_order',
      `point ${i} (t=${t}) is not after the model's last point: ${err.message}; ${kept}`,
      409,
      { cause: err, results },
    );
  return new ServeError(
    'point_refused',
    `point ${i} (t=${t}) refused by the model: ${err.name} [${err.code}]: ${err.message}; ${kept}`,
    422,
    { cause: err, results },
  );
}

/**
 * A body Fastify read as text (content-type text/plain: `curl -d` without `-H`, `fetch` with a string
 * body and no header) is refused with the header to send, not with the schema's "received string".
 */
function requireJsonBody(req: FastifyRequest): void {
  if (typeof req.body !== 'string') return;
  throw new ServeError(
    'invalid_request',
    `the body was sent as ${String(req.headers['content-type']).split(';')[0]}, so it was read as text; send it as JSON with the header content-type: application/json`,
  );
}

function zodError(err: z.ZodError, what: string): ServeError {
  const first = err.issues[0];
  const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
  return new ServeError('invalid_request', `invalid ${what}${where}: ${first?.message ?? 'bad input'}`);
}

export interface Service {
  readonly app: FastifyInstance;
  readonly metrics: ServeMetrics;
  readonly models: ModelResolver;
  /**
   * Re-resolves model references; resets only the series of references whose version changed. A call
   * made while a reload runs waits for it, then resolves the references again. Once `close()` has begun,
   * rejects `shutting_down` without reading the registry.
   */
  reload(): Promise<string[]>;
  /**
   * Writes a checkpoint of every live series now and waits for every write of the store (each at most
   * `storeTimeoutMs`); resolves with the live count, or rejects with the first failure once all settled.
   */
  checkpointAll(): Promise<number>;
  /** Live series count. */
  liveCount(): number;
  /**
   * Stops accepting requests and reloads (a reload asked for from now on rejects `shutting_down`),
   * finishes in-flight requests, waits for a running reload (at most `storeTimeoutMs`; past it, rejects
   * `reload_failed` after checkpointing, and that reload changes nothing when it ends), then checkpoints
   * every live series: it settles once every write has (a failed one rejects, after the others landed).
   */
  close(): Promise<void>;
}

/**
 * The scoring service of `tsad serve`, to embed in your own process: resolves and loads the models
 * (`opts.model`, `opts.groups`) from `opts.tracker` (or model files), then answers on `service.app`, a
 * Fastify instance you `listen()` on or `inject()` into. Each series scores through its own stream of its
 * model, checkpointed to `opts.checkpoints` when given. Call `service.reload()` to pick up alias moves
 * (the service itself does not poll: `tsad serve` calls it every `--poll-seconds` and on SIGHUP) and
 * `service.close()` on shutdown (it checkpoints every live series). Throws the loading error of a model
 * it cannot load at start. Routes and errors: docs/serving.md.
 */
export async function createService(opts: ServiceOptions): Promise<Service> {
  const maxSeries = opts.maxSeries ?? 100_000;
  const every = opts.checkpointEvery ?? 1000;
  const keepAlarms = opts.keepAlarms ?? 20;
  const maxBatch = opts.maxBatch ?? 10_000;
  const store = opts.checkpoints;
  const storeTimeoutMs = opts.storeTimeoutMs ?? 10_000;
  if (!(Number.isInteger(storeTimeoutMs) && storeTimeoutMs >= 1 && storeTimeoutMs <= MAX_TIMER_MS))
    throw new ConfigError(
      'bad_option',
      `storeTimeoutMs ${jsonForMessage(storeTimeoutMs, 40)} must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS} (the longest a Node timer holds)`,
    );
  const metrics = new ServeMetrics(opts.defaultMetrics !== false);
  const models = new ModelResolver(opts.model, opts.groups ?? [], opts.tracker);
  const live = new Map<string, Live>(); // insertion order = LRU order
  const loading = new Map<string, Promise<Live>>();
  const writes = new Map<string, Promise<void>>();
  /** Series evicted whose checkpoint write is in flight (a failed write brings them back into memory). */
  const evicting = new Map<string, Live>();
  let closing = false;
  let ready = false;

  metrics.reloads.inc((await models.refresh()).length);
  ready = true;

  const snapshot = (s: Live): SeriesCheckpoint => ({
    format: 'tsad-serve-checkpoint',
    version: 1,
    id: s.id,
    model: s.version,
    points: s.points,
    lastT: s.lastT,
    // a copy: a store may serialise after an await (the directory store does), and the series' own
    // list takes the alarms of later points meanwhile (rev46)
    alarms: s.alarms.slice(),
    state: s.stream.save(),
  });

  /**
   * Queues a checkpoint write; writes of one series happen in order. A series without points (one
   * evicted between its creation and its first push, by another request's series) is not written:
   * its state is its model's, and the request that created it may yet be refused.
   */
  function checkpoint(s: Live): Promise<void> {
    // (a released series was written before its release, and took no point since)
    if (!store || s.points === 0 || s.released) return Promise.resolve();
    const cp = snapshot(s);
    s.sinceCheckpoint = 0;
    // after the series' writes already queued, also one that failed: each write is of a newer state
    const prev = writes.get(s.id) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(() => store.save(cp))
      .then(
        () => {
          metrics.checkpoints.inc();
        },
        (err: unknown) => {
          metrics.checkpointFailures.inc();
          throw err;
        },
      );
    const tracked = next.finally(() => {
      if (writes.get(s.id) === tracked) writes.delete(s.id);
    });
    writes.set(s.id, tracked);
    return tracked;
  }

  /** The errors `bounded` throws (told from a store's own failure, which is already worded). */
  const timeouts = new WeakSet<ServeError>();

  /**
   * `p`, a call to the checkpoint store (or a write of series `id` queued before), waited for at most
   * `storeTimeoutMs`: past it, `checkpoint_store_failed` (503) saying what did not answer. The call goes
   * on; its late result or rejection is dropped here (the caller has answered without it).
   */
  function bounded<T>(p: Promise<T>, doing: string, id: string): Promise<T> {
    p.catch(() => undefined); // a rejection after the bound is no unhandled one
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new ServeError(
          'checkpoint_store_failed',
          `the checkpoint store did not answer within ${storeTimeoutMs / 1000} s (storeTimeoutMs; tsad serve --store-timeout-seconds) while ${doing} series "${id}"; check that the store runs and answers, or raise the bound if it is only slow`,
          503,
        );
        timeouts.add(e);
        reject(e);
      }, storeTimeoutMs);
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  /**
   * Gives up `s`'s stream for good: its Random Cut Forests' memory goes to the pool the next series'
   * forests take from (docs/serving.md, "Memory under churn"), instead of waiting for V8's next full
   * collection. Only once nothing will use the stream again: `s` is out of `live` and no write of it
   * can bring it back. A request still holding `s` sees `released` and opens the series again.
   */
  function release(s: Live): void {
    if (s.released) return;
    s.released = true;
    // a stream's release that throws, or returns a promise that rejects, is the stream's own failure:
    // counted and logged, never an unhandled rejection, and it stops none of what its caller does next
    // (the rest of a reload's restart, a DELETE's deletion, close()'s other releases)
    try {
      const out: unknown = s.stream.release?.();
      if (typeof (out as PromiseLike<unknown> | undefined)?.then === 'function')
        (out as PromiseLike<unknown>).then(undefined, (err: unknown) => releaseFailed(s, err));
    } catch (err) {
      releaseFailed(s, err);
    }
  }

  /** A stream's `release()` failed: `release_failed`, counted and logged; the series is unaffected. */
  function releaseFailed(s: Live, err: unknown): void {
    metrics.releaseFailures.inc();
    if (!opts.logger) return;
    const e = (typeof err === 'object' && err !== null ? err : {}) as Partial<Error>;
    app.log.error(
      new ServeError(
        'release_failed',
        `the stream of series "${s.id}" (model ${s.version}) failed to release what it holds (${e.name ?? 'Error'}: ${e.message ?? String(err)}); the series is unaffected (its checkpoint, if any, was written before): fix the stream's release() of the custom StreamFactory`,
        500,
        { cause: err },
      ),
    );
  }

  /**
   * Evicts `s` (the LRU's way): drops it from memory and checkpoints it. Resolves once that write has
   * settled; a write that fails brings the series back into memory (over the cap until a later eviction
   * writes it) rather than losing the points since its last checkpoint (not when it was deleted meanwhile:
   * DELETE forgets it). Once the write landed (or the series is not brought back) its stream is released.
   */
  function evict(s: Live): Promise<void> {
    live.delete(s.id);
    metrics.evictions.inc();
    evicting.set(s.id, s);
    // A series without points is not released: the request that created it may still push into it, as
    // before. Nor one a request took back meanwhile (it pushed into the series and made it live again).
    const empty = s.points === 0;
    return checkpoint(s)
      .then(
        () => {
          if (!empty && live.get(s.id) !== s) release(s);
        },
        (err) => {
          if (!s.dropped && !live.has(s.id)) {
            live.set(s.id, s);
            metrics.liveSeries.set(live.size);
          } else if (live.get(s.id) !== s) release(s); // deleted, restarted, or started anew meanwhile
          if (opts.logger) app.log.error(err);
        },
      )
      .finally(() => {
        if (evicting.get(s.id) === s) evicting.delete(s.id);
      });
  }

  function touch(s: Live): void {
    live.delete(s.id);
    live.set(s.id, s);
    while (live.size > maxSeries) void evict(live.values().next().value as Live);
    metrics.liveSeries.set(live.size);
  }

  /**
   * `make()` (a series' new or restored stream) when the process has room for its Random Cut Forest.
   * V8 reserves about 10 GB of address space per WebAssembly memory, so a process holds about 12,900
   * forests (docs/rcf.md, Round 6), fewer series than `maxSeries` may allow: a forest that cannot be
   * reserved (`DetectorError` `bad_capacity`) evicts least recently used series (1 % of the live ones, at
   * least one, doubling each round; checkpointed as the LRU does, the series `id` itself never) and,
   * once their writes have settled, tries again: the evicted series' forests went to the pool of released
   * forests (`release`), which the retry takes from; V8 collects the forests no longer referenced when it
   * next fails to reserve. After `FOREST_ROUNDS` rounds (or with nothing left to evict) the series is
   * refused: `503 forest_limit`, nothing created or changed; writes that do not settle within
   * `storeTimeoutMs` answer `503 checkpoint_store_failed` (the evicted series come back if they fail).
   */
  async function withForestRoom(id: string, make: () => SavableStream): Promise<SavableStream> {
    let evicted = 0;
    for (let round = 0; ; round++) {
      try {
        return make();
      } catch (err) {
        if (!(err instanceof ForestLimit || forestLimitHit(err))) throw err;
        const batch = Math.max(1, Math.ceil(live.size / 100)) * 2 ** round;
        const out: Live[] = [];
        for (const x of live.values()) {
          if (out.length === batch) break;
          if (x.id !== id) out.push(x);
        }
        // forests still held by evictions whose writes are in flight are freed once those settle
        const inFlight = [...evicting.keys()].map((e) => writes.get(e)?.catch(() => undefined));
        if (round === FOREST_ROUNDS || out.length + inFlight.length === 0) {
          metrics.forestRefusals.inc();
          const e = new ServeError(
            'forest_limit',
            `no room for the Random Cut Forest of series "${id}": its WebAssembly memory cannot be reserved, since V8 reserves about 10 GB of address space per forest and one process holds about 12,900 of them; this service holds ${live.size} live series (--max-series ${maxSeries}) and evicted ${evicted} least recently used series (${store ? 'checkpointed' : 'without --checkpoints: their state was dropped'}) without making room, so other forests hold it. Nothing was created or changed: lower --max-series (below 12,000 with a forest model, less if the process keeps other forests) or shard the series over more instances, then retry`,
            503,
            { cause: err instanceof ForestLimit ? err.cause : err },
          );
          if (opts.logger) app.log.error(e);
          throw e;
        }
        metrics.forestEvictions.inc(out.length);
        evicted += out.length;
        if (opts.logger)
          app.log.warn(
            `series "${id}": no WebAssembly memory for its Random Cut Forest with ${live.size} live series; evicting ${out.length} least recently used series${store ? ' (checkpointed)' : ' (no --checkpoints: their state is dropped)'} to make room (lower --max-series below 12,000 to avoid this)`,
          );
        try {
          await bounded(
            Promise.all([...out.map(evict), ...inFlight]),
            'writing the checkpoints of the series evicted to make room for',
            id,
          );
        } catch (err) {
          throw storeFailed(id, err, { what: 'restore' });
        }
      }
    }
  }

  /**
   * A series' stream restored from its checkpoint; a state its model refuses (a hand edit, a time an
   * earlier tsad took) is `checkpoint_unreadable` naming the series and where its checkpoint is, with
   * the way out, rather than the model's own error (which read as if the model or the point sent were bad).
   */
  function restoreStream(id: string, version: string, restore: () => SavableStream): SavableStream {
    try {
      return restore();
    } catch (err) {
      // no room for its forest: the checkpoint is sound (withForestRoom makes room or refuses)
      if (forestLimitHit(err)) throw new ForestLimit(err);
      const e = err as Error & { code?: string };
      const where = store?.where?.(id);
      const dir = store instanceof DirectoryCheckpointStore ? store.dir : undefined;
      throw new ServeError(
        'checkpoint_unreadable',
        `the checkpoint${where ? ` ${where}` : ''} of series "${id}" cannot be resumed by its model ${version} (${e.name}${e.code ? ` [${e.code}]` : ''}: ${e.message}); ${resetHint(dir)}`,
        500,
        { cause: err },
      );
    }
  }

  /**
   * A checkpoint store that failed (a custom store unreachable, timed out, a method of it that throws):
   * whether the series has a checkpoint is unknown, so neither "not found", "deleted" nor a fresh series
   * is true. `during` is what failed: a `restore` (a POST or GET; nothing was changed) or a `delete`
   * (`dropped`: the series' live state was dropped before the store failed).
   */
  function storeFailed(
    id: string,
    err: unknown,
    during: { what: 'restore' } | { what: 'delete'; dropped: boolean },
  ): ServeError {
    const then =
      during.what === 'restore'
        ? 'the series was not restored and nothing was scored or changed: retry the request once the store answers'
        : `${during.dropped ? 'its live state was dropped, but ' : ''}its checkpoint may still be kept: retry the DELETE once the store answers`;
    // already worded (the directory store's file-system errors, a store that did not answer in time):
    // its message and status (503 when a retry may help, 500 when the operator must act first) kept
    if (err instanceof ServeError && err.code === 'checkpoint_store_failed')
      return new ServeError('checkpoint_store_failed', `${err.message}; ${then}`, err.status, { cause: err });
    // a store may reject with anything, also undefined or null (reading a field of those would throw here)
    const e = (typeof err === 'object' && err !== null ? err : {}) as Partial<Error> & { code?: unknown };
    const why = `${e.name ?? 'Error'}${typeof e.code === 'string' ? ` [${e.code}]` : ''}: ${e.message ?? String(err)}`;
    return new ServeError(
      'checkpoint_store_failed',
      `the checkpoint store failed on series "${id}" (${why}); ${then}`,
      503,
      { cause: err },
    );
  }

  async function open(id: string, create: boolean): Promise<Live | undefined> {
    const hit = live.get(id);
    if (hit && !hit.dropped && !hit.released) return hit;
    if (hit) live.delete(id); // never kept (DELETE and restart take it out): not handed out again either
    const pending = loading.get(id);
    if (pending) {
      // a restore that may not create (a GET's) found nothing: a request that creates looks again
      const found = await pending;
      return found || !create ? found : open(id, create);
    }
    const p = (async () => {
      const ref = models.refOf(id);
      // an eviction of this series may still be writing; if that write failed, the series is back in memory
      const writing = writes.get(id);
      if (writing) {
        try {
          await bounded(
            writing.catch(() => undefined),
            'writing the checkpoint of',
            id,
          );
        } catch (err) {
          throw storeFailed(id, err, { what: 'restore' });
        }
      }
      const back = live.get(id);
      if (back) return back;
      let cp: SeriesCheckpoint | undefined;
      try {
        // a store's method that throws at once is a failed store as one that rejects
        cp = store
          ? await bounded(
              Promise.resolve().then(() => store.load(id)),
              'loading',
              id,
            )
          : undefined;
      } catch (err) {
        // a checkpoint the store read and refused keeps its own answer; a store that could not answer
        // (nothing is kept of this attempt: the next request loads again)
        if (err instanceof ServeError && err.code === 'checkpoint_unreadable') throw err;
        throw storeFailed(id, err, { what: 'restore' });
      }
      // the model as it is now, after the awaits: a reload that swapped it meanwhile restarts this series
      // on the new version (taken before, the series would have stayed on the old one for good)
      const model = models.get(ref);
      let s: Live | undefined;
      if (cp && cp.model === model.version) {
        s = {
          id,
          ref,
          version: model.version,
          stream: await withForestRoom(id, () =>
            restoreStream(id, model.version, () => model.streams.restore(cp.state)),
          ),
          points: cp.points,
          lastT: cp.lastT,
          lastScore: null,
          lastAlarm: false,
          sinceCheckpoint: 0,
          alarms: [...cp.alarms],
          dropped: false,
          released: false,
        };
      } else if (create) {
        s = {
          id,
          ref,
          version: model.version,
          stream: await withForestRoom(id, () => model.streams.create()),
          points: 0,
          lastT: Number.NEGATIVE_INFINITY,
          lastScore: null,
          lastAlarm: false,
          sinceCheckpoint: 0,
          alarms: [],
          dropped: false,
          released: false,
        };
      }
      return s;
    })();
    loading.set(id, p as Promise<Live>);
    try {
      const s = await p;
      // a reload that swapped this series' model after it was read (its restart did not see it yet)
      if (s && s.version !== models.get(s.ref).version) s.dropped = true;
      else if (s && !live.has(id)) touch(s);
      return s;
    } finally {
      loading.delete(id);
    }
  }

  // ids are checked by their schema (≤ 256 characters); the router's own 100-character cap would
  // refuse longer valid ones first, with Fastify's error instead of the typed one
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 16 * 1024 * 1024,
    routerOptions: { maxParamLength: 1024 },
    // the router's own refusals (an id over 1024 characters, a malformed URL) answer with the service's
    // code and shape too (Fastify's echoed the whole path)
    frameworkErrors: (err: { code?: string }, _req: FastifyRequest, reply: FastifyReply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      reply.status(tooLong ? 414 : 400).send({
        error: 'invalid_request',
        message: tooLong
          ? 'a path id over 1024 characters: series and model ids are at most 256 characters; use a shorter id'
          : 'the URL is not valid (a malformed percent-encoding); encode ids with encodeURIComponent',
      });
    },
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.latency.observe(
      { route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((err: unknown, _req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ServeError)
      return reply
        .status(err.status)
        .send(
          err.results && err.results.length > 0
            ? { error: err.code, message: err.message, results: err.results }
            : { error: err.code, message: err.message },
        );
    if (err instanceof TsadError) {
      const status = err.name === 'TrackingNotFoundError' ? 404 : err.name === 'TrackingError' ? 502 : 422;
      return reply.status(status).send({ error: err.code, message: err.message });
    }
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode < 500) {
      // Fastify's own refusals (a body that is not JSON, too large, another content type) answer
      // with the service's codes too
      const tooLarge = e.statusCode === 413;
      return reply.status(e.statusCode).send({
        error: tooLarge ? 'batch_too_large' : 'invalid_request',
        message: tooLarge
          ? `the request body is over 16 MiB; send at most ${maxBatch} points per request`
          : `${e.message ?? 'bad request'}; send a JSON body (content-type: application/json) {"t": …, "v": …} or {"points": [{"t": …, "v": …}, …]}`,
      });
    }
    app.log.error(err);
    return reply.status(500).send({ error: 'internal', message: 'internal error; see the service log' });
  });

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    // the raw path only up to the query, and no longer than a line (it is echoed back)
    const path = (req.url.split('?')[0] ?? '').slice(0, 200);
    return reply.status(404).send({
      error: 'route_not_found' satisfies ServeErrorCode,
      message: `no route ${req.method} ${path}; the routes are POST /v1/series/:id/points, GET /v1/series/:id, DELETE /v1/series/:id, POST /v1/models/:name/versions, GET /healthz, GET /readyz and GET /metrics (docs/serving.md)`,
    });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) =>
    ready && !closing
      ? { status: 'ready', models: models.refs() }
      : reply.status(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.post('/v1/series/:id/points', async (req) => {
    if (closing)
      throw new ServeError('shutting_down', 'the service is shutting down; retry on another instance', 503);
    const idp = idParam.safeParse(req.params);
    if (!idp.success) throw zodError(idp.error, 'series id');
    requireJsonBody(req);
    const parsed = body.safeParse(req.body);
    if (!parsed.success) throw zodError(parsed.error, 'points');
    const single = !('points' in parsed.data);
    const pts = 'points' in parsed.data ? parsed.data.points : [parsed.data];
    if (pts.length > maxBatch)
      throw new ServeError('batch_too_large', `at most ${maxBatch} points per request, got ${pts.length}`);
    const id = idp.data.id;
    let s = (await open(id, true)) as Live;
    // forgotten (DELETE) or restarted (a reload) while this request waited for it: the request comes
    // after that, so it starts the series again from its model rather than bringing the old state back;
    // evicted and released meanwhile: it restores the series from the checkpoint that eviction wrote
    while (s.dropped || s.released) s = (await open(id, true)) as Live;
    try {
      // validate the whole batch before any point touches the stream: bad input never corrupts state
      const ts = new Float64Array(pts.length);
      let prev = s.lastT;
      for (let i = 0; i < pts.length; i++) {
        const t = toMs(pts[i].t, `point ${i}`);
        if (!(t > prev)) {
          throw new ServeError(
            'out_of_order',
            `point ${i} (t=${t}) is not after the series' previous point (t=${prev}); send points in increasing time order${epochSecondsHint(pts[i].t)}`,
            409,
          );
        }
        ts[i] = t;
        prev = t;
      }
      const results: PointResult[] = [];
      let alarms = 0;
      let refused: unknown;
      for (let i = 0; i < pts.length; i++) {
        let r: { score: number; alarm: boolean };
        try {
          r = s.stream.push(ts[i], pts[i].v);
        } catch (err) {
          refused = err; // a rejected push changes nothing: the points before it stay scored and kept
          break;
        }
        results.push({ t: ts[i], score: r.score, alarm: r.alarm });
        if (r.alarm) {
          alarms++;
          s.alarms.push({ t: ts[i], score: r.score });
          if (s.alarms.length > keepAlarms) s.alarms.shift();
        }
        s.lastScore = r.score;
        s.lastAlarm = r.alarm;
      }
      const n = results.length;
      if (n > 0) {
        s.points += n;
        s.lastT = ts[n - 1];
        s.sinceCheckpoint += n;
        metrics.points.inc(n);
        if (alarms > 0) metrics.alarms.inc(alarms);
        if (s.sinceCheckpoint >= every) void checkpoint(s).catch((err) => app.log.error(err));
      }
      if (refused !== undefined) throw pointRefused(refused, n, ts[n], s.lastT, results);
      touch(s);
      const model = models.get(s.ref);
      return single
        ? { id, model: s.version, type: model.type, ...results[0] }
        : { id, model: s.version, type: model.type, results };
    } catch (err) {
      // a series this request created (or one that never took a point) is not kept: a refused first
      // request leaves no empty series, no checkpoint file, no GET answer but 404
      if (s.points === 0 && live.get(id) === s) {
        live.delete(id);
        metrics.liveSeries.set(live.size);
      }
      throw err;
    }
  });

  app.get('/v1/series/:id', async (req) => {
    const idp = idParam.safeParse(req.params);
    if (!idp.success) throw zodError(idp.error, 'series id');
    let s = await open(idp.data.id, false);
    while (s?.dropped) s = await open(idp.data.id, false);
    if (!s)
      throw new ServeError(
        'series_not_found',
        `no series "${idp.data.id}" here (post points to create it)`,
        404,
      );
    return {
      id: s.id,
      model: s.version,
      ref: s.ref,
      points: s.points,
      lastT: s.points > 0 ? s.lastT : null,
      lastScore: s.lastScore,
      lastAlarm: s.lastAlarm,
      alarms: s.alarms,
    };
  });

  app.delete('/v1/series/:id', async (req) => {
    if (closing)
      throw new ServeError('shutting_down', 'the service is shutting down; retry on another instance', 503);
    const idp = idParam.safeParse(req.params);
    if (!idp.success) throw zodError(idp.error, 'series id');
    return forget(idp.data.id);
  });

  app.post('/v1/models/:name/versions', async (req, reply) => {
    if (!opts.tracker)
      throw new ServeError('no_tracker', 'training needs a tracking store (start with --uri)', 501);
    const tracker = opts.tracker;
    const name = z.object({ name: z.string().min(1).max(250) }).safeParse(req.params);
    if (!name.success) throw zodError(name.error, 'model name');
    requireJsonBody(req);
    const parsed = trainBody.safeParse(req.body);
    if (!parsed.success) throw zodError(parsed.error, 'training request');
    const b = parsed.data;
    if (b.points.t.length !== b.points.v.length)
      throw new ServeError('invalid_request', 'points.t and points.v differ in length');
    // names the registry would refuse (a reserved alias such as `latest`, a model or experiment name
    // with "..", "@" or a path separator) are refused before training: afterwards they would leave a
    // tracked run without its version, or a version without its alias
    try {
      validateModelName(name.data.name);
      validateExperimentName(b.experiment);
      if (b.alias !== undefined) validateAlias(b.alias, true);
    } catch (err) {
      throw new ServeError('invalid_request', (err as Error).message, 400, { cause: err });
    }
    const t = Float64Array.from(b.points.t, (x, i) => toMs(x, `points.t[${i}]`));
    const v = Float64Array.from(b.points.v);
    const n = t.length;
    const model = await trainOwnArrays(b.detector, b.seed, t, v); // made for this call: handed over
    metrics.trainings.inc();
    const runId = await tracker.run({ experiment: b.experiment }, async (run) => {
      await run.logParams({ detector: b.detector, seed: b.seed, rows: n, source: 'tsad serve' });
      await run.logModel({ type: model.type, config: model.config, toJSON: () => model });
      return run.id;
    });
    const mv = await tracker.registerModel(name.data.name, runId);
    if (b.alias) await tracker.setAlias(name.data.name, b.alias, mv.version);
    return reply.status(201).send({ name: mv.name, version: mv.version, runId, alias: b.alias ?? null });
  });

  /**
   * `DELETE /v1/series/:id`: drops the series' live state (a restore in progress is awaited first, an
   * eviction in flight is not brought back) and, after the writes of it already queued, its checkpoint,
   * also one that cannot be read. A request holding the series when it is dropped starts it again from
   * its model (`dropped`). `series_not_found` when there was neither.
   */
  async function forget(id: string): Promise<{ id: string; live: boolean; checkpoint: boolean }> {
    await loading.get(id)?.catch(() => undefined); // an unreadable checkpoint is deleted all the same
    const held = [live.get(id), evicting.get(id)].filter((x) => x !== undefined);
    const liveOne = live.get(id);
    const wasLive = live.delete(id);
    for (const h of held) h.dropped = true;
    // the live stream is never used again (one being evicted is released when its write settles)
    if (liveOne && evicting.get(id) !== liveOne) release(liveOne);
    metrics.liveSeries.set(live.size);
    let had = false;
    if (store) {
      const prev = writes.get(id) ?? Promise.resolve();
      const del = prev
        .catch(() => undefined)
        .then(async () => {
          // whether there is one (an unreadable one is deleted too), without reading it where the store
          // can; a custom store's method that throws at once is a failed store as one that rejects
          try {
            if (store.has) {
              const answer: unknown = await store.has(id);
              if (typeof answer !== 'boolean')
                throw new TypeError(`its has() answered ${jsonForMessage(answer, 80)}, not true or false`);
              had = answer;
            } else had = (await store.load(id)) !== undefined;
          } catch (err) {
            if (!(err instanceof ServeError && err.code === 'checkpoint_unreadable'))
              throw storeFailed(id, err, { what: 'delete', dropped: wasLive || held.length > 0 });
            had = true;
          }
          if (!had) return;
          try {
            await store.delete(id);
          } catch (err) {
            throw storeFailed(id, err, { what: 'delete', dropped: wasLive || held.length > 0 });
          }
        });
      writes.set(id, del);
      void del.then(
        () => writes.get(id) === del && writes.delete(id),
        () => writes.get(id) === del && writes.delete(id),
      );
      try {
        await bounded(del, 'deleting', id);
      } catch (err) {
        if (err instanceof ServeError && timeouts.has(err))
          throw storeFailed(id, err, { what: 'delete', dropped: wasLive || held.length > 0 });
        throw err;
      }
    }
    const found = wasLive || held.length > 0 || had;
    if (!found)
      throw new ServeError(
        'series_not_found',
        `no series "${id}" here, in memory or checkpointed (nothing deleted)`,
        404,
      );
    metrics.seriesDeleted.inc();
    return { id, live: wasLive || held.length > 0, checkpoint: had };
  }

  /** The reload running or last run: a reload waits for it (see `reload`). */
  let lastReload: Promise<unknown> = Promise.resolve();

  /**
   * Resolves every reference again and swaps in the versions that moved. Reloads run one after another:
   * one asked for while another runs starts when that one is done and resolves the references then (run
   * at once, a slower reload that had read an alias before it moved could swap its older version in after
   * the newer one, and the service stayed on it until the next reload).
   */
  function reload(): Promise<string[]> {
    if (closing) return Promise.reject(notReloading());
    const next = lastReload.then(reloadNow, reloadNow);
    lastReload = next.catch(() => undefined);
    return next;
  }

  /** Set when `close()` stopped waiting for a reload (past `storeTimeoutMs`): that reload then changes no series. */
  let reloadAbandoned = false;

  /** A reload asked for (or due to start) once `close()` has begun: refused, the registry is not read. */
  function notReloading(): ServeError {
    return new ServeError(
      'shutting_down',
      'the service is shutting down: no reload starts now (the registry is not read); the next start resolves the aliases anew',
      503,
    );
  }

  async function reloadNow(): Promise<string[]> {
    if (closing) throw notReloading();
    let changed: string[];
    try {
      changed = await models.refresh();
    } catch (err) {
      if (reloadAbandoned) throw abandoned(err);
      metrics.reloadErrors.inc();
      // the references that did move restart their series all the same (else they would stay on the
      // old version for good: the next refresh finds their version already loaded)
      if (err instanceof ServeError && err.reloaded) restart(err.reloaded);
      throw err;
    }
    if (reloadAbandoned) throw abandoned();
    restart(changed);
    return changed;
  }

  /** What a reload that ran past `close()`'s wait rejects with: it restarted no series, deleted no checkpoint. */
  function abandoned(cause?: unknown): ServeError {
    return new ServeError(
      'shutting_down',
      'the service closed while this reload ran (close() waited for it storeTimeoutMs): it restarted no series and deleted no checkpoint',
      503,
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * Waits for the running reload (and those queued behind it, which refuse to start once closing) at most
   * `storeTimeoutMs`; past it, the reload is abandoned (it changes no series when it ends) and the error
   * says so. A reload's failure is its caller's to report, not close()'s.
   */
  async function waitForReload(): Promise<ServeError | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), storeTimeoutMs);
    });
    const outcome = await Promise.race([lastReload.then(() => 'done' as const), late]).finally(() =>
      clearTimeout(timer),
    );
    if (outcome === 'done') return undefined;
    reloadAbandoned = true;
    return new ServeError(
      'reload_failed',
      `a reload did not finish within ${storeTimeoutMs / 1000} s (storeTimeoutMs; tsad serve --store-timeout-seconds) while the service closed: the live series were checkpointed without it, and when it ends it changes nothing; check that the tracking store answers`,
      503,
    );
  }

  /** The series of references that moved to a new version start again on it with their next point. */
  function restart(changed: readonly string[]): void {
    if (changed.length === 0) return;
    metrics.reloads.inc(changed.length);
    const set = new Set(changed);
    // also the series evicted whose checkpoint write is still in flight: dropped, a write that fails
    // does not bring them back (it would have put them back on the old version for good)
    for (const s of new Set([...live.values(), ...evicting.values()])) {
      if (!set.has(s.ref) || s.dropped) continue;
      live.delete(s.id); // the next point starts this series on the new model
      s.dropped = true;
      if (evicting.get(s.id) !== s) release(s); // one being evicted is released when its write settles
      if (store) {
        // after the series' queued writes, also one that fails (its checkpoint is of the old version
        // all the same); a failed deletion is logged: an unhandled rejection would end the process
        const prev = writes.get(s.id) ?? Promise.resolve();
        const del = prev.catch(() => undefined).then(() => store.delete(s.id));
        writes.set(s.id, del);
        void del
          .catch((err) => {
            if (opts.logger) app.log.error(err);
          })
          .finally(() => writes.get(s.id) === del && writes.delete(s.id));
      }
    }
    metrics.liveSeries.set(live.size);
  }

  /**
   * Each write waited for at most `storeTimeoutMs` (a store that hangs must not hold a shutdown for ever).
   * Every write settles (or reaches that bound) before the first failure is thrown: one series' failed
   * write does not cut short the others' (before rev46 `close()` answered while they were still landing).
   */
  async function checkpointAll(): Promise<number> {
    const all = [...live.values()];
    const settled = await Promise.allSettled(
      all.map((s) => bounded(checkpoint(s), 'writing the checkpoint of', s.id)),
    );
    settled.push(
      ...(await Promise.allSettled(
        [...writes].map(([id, w]) => bounded(w, 'writing the checkpoint of', id)),
      )),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return all.length;
  }

  return {
    app,
    metrics,
    models,
    reload,
    checkpointAll,
    liveCount: () => live.size,
    async close() {
      closing = true;
      await app.close();
      await Promise.all([...loading.values()].map((p) => p.catch(() => undefined)));
      // a reload still running would restart series and delete their checkpoints after these are
      // written, and read a tracker the caller closes next: wait for it first (bounded)
      const late = await waitForReload();
      await checkpointAll();
      // every live series is checkpointed: their streams' memory goes back for reuse (an embedding
      // process may start another service); they take no point from here, and are not written again
      for (const s of live.values()) release(s);
      if (late) throw late;
    },
  };
}

/**
 * Ctrl-C (SIGINT) and SIGTERM for the commands that hold a tracked run open across long work
 * (`tsad nab machine-temperature`, `tsad train`, `tsad simulate`, the NAB corpus benchmark): the
 * store is left consistent. One mechanism for every command: a command opens its tracker through
 * `interruptibleTracker`; on the first signal the runs it started and that are still RUNNING end
 * KILLED (MLflow's status for a run stopped by the user), its trackers close, the temp files and
 * locks of writes cut short are removed, one line goes to stderr and the process exits 128 + the signal's
 * number (130 for SIGINT, 143 for SIGTERM). A second signal during that clean-up ends the process
 * at once (the handlers are `once`).
 *
 * The experiments compute synchronously on the main thread, so the signal is handled when the
 * current chunk of work (a training or scoring stage) yields, not in the middle of it.
 */
import { settleWrites, writesPending } from '../fs-atomic.js';
import { abandonWrites } from '../tracking/fsutil.js';
import type { Run, RunOptions, Tracker } from '../tracking/tracker.js';
import { EXIT } from './exit.js';

/** How long the clean-up may take (a remote store that does not answer) before the process exits anyway. */
const CLEANUP_MS = 5_000;

/** 128 + the signal's number, as shells report a process ended by it. */
const EXIT_CODE = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated } as const;
type HandledSignal = keyof typeof EXIT_CODE;

/** Runs started through a guarded tracker (ended ones are skipped), and runs still being created. */
const runs = new Set<Run>();
const starting = new Set<Promise<Run>>();
const trackers = new Set<Tracker>();
let installed = false;
let interrupted = false;

/**
 * `tracker` with its runs registered for the interrupt handler (installed on first use): every
 * method is the tracker's own, `run` and `startRun` also record the run they start.
 */
export function interruptibleTracker<M>(tracker: Tracker<M>): Tracker<M> {
  install();
  trackers.add(tracker as Tracker<unknown> as Tracker);
  const startRun = (opts: RunOptions): Promise<Run> => {
    const p = tracker.startRun(opts);
    starting.add(p);
    const done = (): void => {
      starting.delete(p);
    };
    p.then((r) => {
      for (const old of runs) if (old.status !== 'RUNNING') runs.delete(old);
      runs.add(r);
      done();
    }, done);
    return p;
  };
  const run = async <T>(opts: RunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> => {
    const r = await startRun(opts);
    // loaded with the backend already (every backend is a BaseTracker)
    const { withRun } = await import('../tracking/core.js');
    return withRun(r, fn);
  };
  return new Proxy(tracker, {
    get: (target, key) => {
      if (key === 'startRun') return startRun;
      if (key === 'run') return run;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** What the interrupt line adds for a command without a tracked run (`tsad bench`: the files kept). */
let noteOf: (() => string) | null = null;

/**
 * Ctrl-C and SIGTERM for a command that tracks nothing but writes files as it goes (`tsad bench`): the
 * same handling (writes in progress settle or are abandoned, one line on stderr, exit 130 / 143), the
 * line ending with `note()` (what was kept).
 */
export function interruptNote(note: () => string): void {
  install();
  noteOf = note;
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const sig of Object.keys(EXIT_CODE) as HandledSignal[]) {
    process.once(sig, () => {
      void onSignal(sig);
    });
  }
}

async function onSignal(sig: HandledSignal): Promise<void> {
  if (interrupted) return;
  interrupted = true;
  const code = EXIT_CODE[sig];
  const killed: string[] = [];
  const failed: string[] = [];
  const cleanup = (async () => {
    // a run being created now is ended too, once it exists
    await Promise.allSettled([...starting]);
    await Promise.allSettled(
      [...runs]
        .filter((r) => r.status === 'RUNNING')
        .map((r) =>
          r.end('KILLED').then(
            () => killed.push(r.id),
            () => failed.push(r.id),
          ),
        ),
    );
    await Promise.allSettled([...trackers].map((t) => t.close()));
  })();
  const deadline = Date.now() + CLEANUP_MS;
  let timer: NodeJS.Timeout | undefined;
  const storeTimedOut = await Promise.race([
    cleanup.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), CLEANUP_MS);
    }),
  ]);
  clearTimeout(timer);
  // writes of the local store still in progress (the command's own, racing the end) finish first;
  // what is left after the deadline is abandoned: its temp files and locks are removed. The command
  // can start another write before this resumes (its temp file's open then on its way), so the
  // check is repeated synchronously before the removal and the exit, with nothing in between.
  let writesTimedOut = storeTimedOut;
  do {
    if (!(await settleWrites(Math.max(0, deadline - Date.now())))) writesTimedOut = true;
  } while (!writesTimedOut && writesPending());
  abandonWrites();
  const line = interruptLine({ sig, killed, failed, storeTimedOut, writesTimedOut, note: noteOf?.() ?? '' });
  process.stderr.write(`${line}\n`);
  process.exit(code);
}

/**
 * @internal The one line an interrupted command prints: the signal, the runs ended KILLED (or not),
 * what did not finish within the clean-up's time (the tracking store, or, for a command that tracks
 * nothing, its own writes), and the command's note.
 */
export function interruptLine(o: {
  sig: NodeJS.Signals;
  killed: readonly string[];
  failed: readonly string[];
  storeTimedOut: boolean;
  writesTimedOut: boolean;
  note: string;
}): string {
  let msg = `tsad: interrupted (${o.sig})`;
  if (o.killed.length > 0) msg += `; run ${o.killed.join(', ')} ended KILLED`;
  if (o.failed.length > 0) msg += `; could not end run ${o.failed.join(', ')} (it stays RUNNING)`;
  if (o.storeTimedOut) msg += `; the tracking store did not answer within ${CLEANUP_MS / 1000} s`;
  else if (o.writesTimedOut) {
    msg += `; writes still in progress after ${CLEANUP_MS / 1000} s were abandoned (each file keeps its last complete version)`;
  }
  if (o.note !== '') msg += `; ${o.note}`;
  return msg;
}

/**
 * How many threads a command computes on, in a module of its own: the bin reads it before the
 * command line's bundle loads (`binStartsForestWorker`), so it imports nothing but Node's `fs` and `os`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/**
 * Threads a command's own computation uses by default: 2 when the machine has a CPU to spare right
 * now, else 1 (on a busy machine a second thread only competes with the first for the same CPUs:
 * docs/rcf.md, The forest worker): a second CPU, a one-minute load average of at most the number of
 * CPUs (the machine is not oversubscribed; a benchmark that runs the command again and again raises it
 * to about 1.4 by itself), and on Linux no other process's thread running at this moment (the kernel's
 * count of runnable threads in `/proc/loadavg` less this process's own).
 */
export function defaultThreads(): number {
  const cpus = availableParallelism();
  if (cpus < 2 || loadavg()[0] > cpus) return 1;
  const others = othersRunning();
  return others === null || others <= cpus - 2 ? 2 : 1;
}

/** Threads of other processes running or runnable now (Linux), or null where that cannot be read. */
function othersRunning(): number | null {
  try {
    const running = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3]?.split('/')[0]);
    if (!Number.isInteger(running)) return null;
    let own = 0;
    for (const task of readdirSync('/proc/self/task')) {
      try {
        const st = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
        if (st[st.lastIndexOf(')') + 2] === 'R') own++;
      } catch {
        // the thread ended meanwhile
      }
    }
    return Math.max(0, running - own);
  } catch {
    return null;
  }
}

/** Options after which `nab machine-temperature` does not run its experiment on the forest's batch worker. */
const NO_BATCH_WORKER = new Set(['-h', '--help', '--retrain']);

/**
 * @internal Whether the bin starts the forest's batch worker for the command line `args`
 * (`process.argv.slice(2)`) before the command line's bundle loads: for `nab machine-temperature`
 * without `--retrain` or a help page, with `--threads` of 2 or more, or without `--threads` when
 * `threads()` (default `defaultThreads`) says 2. The same rule as the command's own (it starts the
 * worker itself when the bin did not, and stops one it will not use), read from the words alone: a
 * guess that is wrong costs a worker's start, never a different number.
 */
export function binStartsForestWorker(
  args: readonly string[],
  threads: () => number = defaultThreads,
): boolean {
  if (args[0] !== 'nab' || args[1] !== 'machine-temperature') return false;
  let n: number | undefined;
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (NO_BATCH_WORKER.has(a) || a.startsWith('--retrain=')) return false;
    if (a === '--threads' || a.startsWith('--threads=')) {
      const v = a === '--threads' ? args[++i] : a.slice('--threads='.length);
      if (v === undefined || !/^[1-9][0-9]{0,5}$/.test(v)) return false;
      n = Number(v);
    }
  }
  return (n ?? threads()) >= 2;
}

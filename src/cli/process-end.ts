/**
 * How a one-shot command's process ends. `tsad nab machine-temperature` runs one experiment and,
 * once it returns, has awaited everything it started (the tracked run, the report, the model files)
 * and written its output. Left to itself, Node would then tear the runtime down before the process
 * ends, freeing the heap's pages and every typed array's memory one by one (≈ 120 MiB here).
 * `process.exit()` leaves that to the kernel, which takes the whole address space back at once; it
 * still stops the forest worker and runs the `exit` handlers (the code cache is saved there,
 * src/cli/code-cache.ts). Measured in start-up round 27 (docs/evaluation.md).
 *
 * Only the bin ends the process (src/cli/main.ts, after the command returns): a command run in
 * another program (the tests run commands in their own process) only marks itself done.
 */

let done = false;

/**
 * @internal Marks the running command as finished, with nothing it started still pending: the bin
 * then ends the process (`endIfDone`). For a command that awaits all its work before returning.
 */
export function commandDone(): void {
  done = true;
}

/**
 * @internal The bin, once the command has returned: if it marked itself done (`commandDone`), waits
 * until stdout and stderr have taken what was written to them, then exits with `process.exitCode`
 * (Node's own exit runs the `exit` handlers; the runtime is not torn down). Otherwise returns, and
 * the process ends when nothing is left to do, as usual.
 */
export async function endIfDone(): Promise<void> {
  if (!done) return;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit();
}

/** Resolves once `s` has handled every write before this one (or failed: nothing more can go out). */
function flushed(s: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * The command's standard streams: warnings as `tsad: warning: …` lines on stderr (not Node's
 * `(node:PID) … (Use node --trace-warnings …)` form), and an output pipe closed by its reader
 * (`tsad detect --json | head`) ends the command quietly, as Unix tools do, instead of an
 * unhandled `EPIPE` stack trace.
 */
export function setUpStdio(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) => {
    process.stderr.write(`tsad: warning${w.code ? ` [${w.code}]` : ''}: ${w.message}\n`);
  });
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    process.stderr.write(`tsad: cannot write the output: ${err.message}\n`);
    process.exit(1);
  });
}

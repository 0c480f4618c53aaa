/** `tsad report RUN_ID`: the HTML report a tracked run stored (`report.html` artifact), to a file or stdout. */
import type { Command } from 'commander';
import { openExistingTracker } from './options.js';

export async function reportCommand(
  runId: string,
  o: { uri?: string; out?: string },
): Promise<string | undefined> {
  const t = openExistingTracker(o.uri);
  try {
    const arts = await t.listArtifacts(runId);
    const art = arts.find((a) => a.path === 'report.html' || a.path.endsWith('/report.html'));
    if (!art) {
      const { TrackingError } = await import('../errors.js');
      throw new TrackingError(
        'no_report',
        `run ${runId} has no report.html artifact (runs of tsad nab machine-temperature have one; others: log one with run.logArtifact)`,
      );
    }
    const bytes = await t.readArtifact(runId, art.path);
    if (!o.out) {
      process.stdout.write(bytes);
      return undefined;
    }
    const { writeOutputFile } = await import('./output.js');
    await writeOutputFile(o.out, bytes);
    return o.out;
  } finally {
    await t.close();
  }
}

export function registerReport(program: Command): Command {
  return program
    .command('report')
    .description(
      'the interactive HTML report a tracked run stored (one self-contained file; runs of tsad nab machine-temperature store one)',
    )
    .argument('<runId>', 'run id (see tsad runs list)')
    .option('-o, --out <file.html>', 'write it here (default: stdout)')
    .option('--uri <uri>', 'tracking URI (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)')
    .action(async (runId: string, o: { uri?: string; out?: string }) => {
      const out = await reportCommand(runId, o);
      if (out) process.stderr.write(`report written to ${out}\n`);
    });
}

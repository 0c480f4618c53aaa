/**
 * `tsad runs export --from <uri> --to <uri>`: copies experiments, runs (params, metric
 * histories, tags, datasets, artifacts) and registered models between two tracking backends,
 * e.g. the local store to an MLflow server.
 */
import type { Command } from 'commander';
import { TrackingError } from '../errors.js';
import type { ExportReport } from '../tracking/export.js';
import { classifyUri, defaultTrackingUri, openTracker, redactUri } from '../tracking/open.js';
import type { Tracker } from '../tracking/tracker.js';
import { progress } from './format.js';
import { openExistingTracker } from './options.js';

export interface RunsExportOptions {
  from?: string;
  to: string;
  experiment?: string[];
  models?: boolean;
  json?: boolean;
  quiet?: boolean;
}

function summary(r: ExportReport, from: string, to: string): string {
  const lines = [
    `exported ${from} → ${to}`,
    `  experiments ${r.experiments}, runs ${r.runs} (already there: ${r.skippedRuns})`,
    `  params ${r.params}, tags ${r.tags}, metric points ${r.metricPoints}, datasets ${r.datasets}`,
    `  artifacts ${r.artifacts} (${r.artifactBytes} bytes)`,
    `  registered models ${r.models}, versions ${r.modelVersions}, aliases ${r.aliases}`,
  ];
  if (r.unreadableRuns.length > 0) {
    lines.push(`  runs unreadable in the source, NOT COPIED: ${r.unreadableRuns.length}`);
  }
  if (r.removedPartialCopies > 0) {
    lines.push(`  half-copies left by an earlier export, removed: ${r.removedPartialCopies}`);
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  for (const f of r.failedRuns) {
    lines.push(
      `  NOT COPIED: run ${f.experiment}/${f.runName} ${f.sourceRunId}: ${f.artifacts.length ? '' : f.reason}`,
    );
    for (const a of f.artifacts) lines.push(`    artifact ${JSON.stringify(a.path)}: ${a.reason}`);
  }
  for (const u of r.unreadableRuns) {
    lines.push(`  NOT COPIED (unreadable): run ${u.experiment}/${u.sourceRunId}: ${u.reason}`);
  }
  for (const m of r.failedModels) lines.push(`  NOT COPIED: model ${m.name}: ${m.reason}`);
  if (r.stoppedBy !== undefined) lines.push(`  STOPPED: ${r.stoppedBy}`);
  return `${lines.join('\n')}\n`;
}

/** Whether two URIs name one store (the same local folder, or the same URI otherwise). */
function sameStore(a: string, b: string): boolean {
  const ca = classifyUri(a);
  const cb = classifyUri(b);
  if (ca.kind === 'file' && cb.kind === 'file') return ca.path === cb.path;
  return a === b;
}

/** Runs the export and prints a summary (or the JSON report). */
export async function runsExport(
  opts: RunsExportOptions,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<ExportReport> {
  const fromUri = opts.from ?? defaultTrackingUri();
  if (sameStore(fromUri, opts.to)) {
    throw new TrackingError(
      'same_store',
      `--from and --to name the same store (${redactUri(opts.to)}): exporting it into itself would copy every run again`,
    );
  }
  const from = openExistingTracker(fromUri, '--from');
  try {
    return await exportTo(from, opts, out);
  } finally {
    await from.close();
  }
}

async function exportTo(
  from: Tracker,
  opts: RunsExportOptions,
  out: (s: string) => void,
): Promise<ExportReport> {
  const { exportRuns } = await import('../tracking/export.js'); // loaded when used: keeps `tsad --help` fast
  const to = openTracker(opts.to);
  try {
    const report = await exportRuns(from, to, {
      ...(opts.experiment && opts.experiment.length > 0 ? { experiments: opts.experiment } : {}),
      models: opts.models !== false,
      // progress lines on stderr, as every command's (they were on stdout, among the results)
      ...(opts.quiet ? {} : { onProgress: (m: string) => progress(false, m) }),
    });
    out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report, from.uri, to.uri));
    const runsLeft = report.failedRuns.length + report.unreadableRuns.length;
    const failed = runsLeft + report.failedModels.length;
    if (report.stoppedBy !== undefined || failed > 0) {
      const unreadable = report.unreadableRuns.length;
      throw new TrackingError(
        'export_incomplete',
        report.stoppedBy !== undefined
          ? `the export stopped: ${report.stoppedBy}; fix that and run the same command again (copied runs are skipped, half-copies removed)`
          : `${runsLeft} run(s)${unreadable > 0 ? ` (${unreadable} of them unreadable in the source store)` : ''} and ${report.failedModels.length} model(s) were not copied (listed above; nothing of them is left at ${to.uri}); rename or fix what is named and run the same command again`,
      );
    }
    return report;
  } finally {
    await to.close();
  }
}

/** Adds `export` under the `runs` command; `io.out` receives the output (default stdout). */
export function registerRunsExport(
  runs: Command,
  io: { out: (text: string) => void } = { out: (s) => process.stdout.write(s) },
): void {
  runs
    .command('export')
    .description(
      'copy experiments, runs, metric histories, artifacts and registered models between two trackers',
    )
    .option(
      '--from <uri>',
      'source tracking URI (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)',
    )
    .requiredOption('--to <uri>', 'destination tracking URI, e.g. http://localhost:5000 or postgres://...')
    .option('--experiment <name...>', 'only these experiments')
    .option('--no-models', 'do not copy registered models, versions and aliases')
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (opts: RunsExportOptions) => {
      await runsExport(opts, io.out);
    });
}

import { type Command, Option } from 'commander';
import type { MetricPoint, RunRecord, RunStatus } from '../tracking/tracker.js';
import { table as alignedTable, exactJson, formatNumber } from './format.js';
import { intOption, withTracker } from './options.js';
import { registerRunsExport } from './runs-export.js';

/** Where the commands write (tests pass their own). */
export interface RunsIo {
  out: (text: string) => void;
}

const defaultIo: RunsIo = { out: (s) => process.stdout.write(s) };

/**
 * Text safe to print to a terminal: control characters (C0, DEL, C1, which include the escape
 * sequences a stored tag could use to rewrite the screen) and line breaks become `\xNN`/`\uNNNN`.
 */
export function printable(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

function duration(r: RunRecord): string {
  if (r.info.endTime === null) return '-';
  const s = (r.info.endTime - r.info.startTime) / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${(s / 60).toFixed(1)}m`;
}

/** Aligned columns of stored (untrusted) text, made printable. */
function table(rows: string[][]): string {
  return alignedTable(rows.map((r) => r.map(printable)));
}

/** The options of `tsad runs list`. */
export interface ListRunsOptions {
  uri?: string;
  experiment?: string;
  filter?: string;
  orderBy?: string[];
  max?: number;
  json?: boolean;
}

export async function listRuns(io: RunsIo, opts: ListRunsOptions): Promise<void> {
  await withTracker(opts.uri, async (t) => {
    const runs = await t.searchRuns({
      ...(opts.experiment ? { experiment: opts.experiment } : {}),
      ...(opts.filter ? { filter: opts.filter } : {}),
      ...(opts.orderBy && opts.orderBy.length > 0 ? { orderBy: opts.orderBy } : {}),
      ...(opts.max !== undefined ? { maxResults: opts.max } : {}),
    });
    if (opts.json) {
      io.out(exactJson(runs)); // a metric of ±Infinity or NaN (promote's never-detected mttd) as a string, not null
      return;
    }
    if (runs.length === 0) {
      io.out(`no runs in ${t.uri}${opts.experiment ? ` (experiment ${opts.experiment})` : ''}\n`);
      return;
    }
    const rows = [['RUN ID', 'EXPERIMENT', 'NAME', 'STATUS', 'START', 'DURATION', 'METRICS']];
    for (const r of runs) {
      const metrics = Object.values(r.data.metrics)
        .slice(0, 4)
        .map((m) => `${m.key}=${formatNumber(m.value)}`)
        .join(' ');
      rows.push([
        r.info.runId,
        r.experiment,
        r.info.runName,
        r.info.status,
        iso(r.info.startTime),
        duration(r),
        metrics,
      ]);
    }
    io.out(table(rows));
  });
}

export async function showRun(io: RunsIo, id: string, opts: { uri?: string; json?: boolean }): Promise<void> {
  await withTracker(opts.uri, async (t) => {
    const r = await t.getRun(id);
    const artifacts = await t.listArtifacts(id);
    const histories: Record<string, MetricPoint[]> = {};
    for (const key of Object.keys(r.data.metrics).sort()) histories[key] = await t.getMetricHistory(id, key);
    if (opts.json) {
      const nonFinite = (_k: string, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
      io.out(`${JSON.stringify({ ...r, metricHistory: histories, artifacts }, nonFinite, 2)}\n`);
      return;
    }
    const lines: string[] = [];
    lines.push(`run ${r.info.runId}  ${r.info.runName}`);
    lines.push(`  experiment  ${r.experiment} (${r.info.experimentId})`);
    lines.push(`  status      ${r.info.status}`);
    lines.push(`  start       ${iso(r.info.startTime)}`);
    lines.push(`  end         ${iso(r.info.endTime)}  (${duration(r)})`);
    const section = (title: string, entries: [string, string][]) => {
      lines.push('', `${title} (${entries.length})`);
      for (const [k, v] of entries.sort((a, b) => (a[0] < b[0] ? -1 : 1))) lines.push(`  ${k} = ${v}`);
    };
    section('params', Object.entries(r.data.params));
    section(
      'metrics',
      Object.values(r.data.metrics).map((m) => [
        m.key,
        `${formatNumber(m.value)} (step ${m.step}, ${histories[m.key]?.length ?? 1} points)`,
      ]),
    );
    section('tags', Object.entries(r.data.tags));
    lines.push('', `datasets (${r.inputs.length})`);
    for (const d of r.inputs) {
      lines.push(
        `  ${d.name} [${d.context}] rows=${d.rows} ${iso(d.startTime)} .. ${iso(d.endTime)} sha256=${d.digest}${d.source ? ` source=${d.source}` : ''}`,
      );
    }
    lines.push('', `artifacts (${artifacts.length})`);
    for (const a of artifacts) lines.push(`  ${a.path} (${a.size} bytes)`);
    io.out(`${lines.map(printable).join('\n')}\n`);
  });
}

/** `tsad runs end`: ends a run its process left RUNNING (`Tracker.endRun`). */
export async function endRun(
  io: RunsIo,
  id: string,
  opts: { uri?: string; status: Exclude<RunStatus, 'RUNNING'> },
): Promise<void> {
  await withTracker(opts.uri, async (t) => {
    await t.endRun(id, opts.status);
    io.out(`run ${id} ended ${opts.status}\n`);
  });
}

export function registerRuns(program: Command, io: RunsIo = defaultIo): Command {
  const runs = program
    .command('runs')
    .description(
      'list, show, end and export tracked runs (URI: --uri, else TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)',
    );

  runs
    .command('list')
    .description('list runs, newest first (metrics rounded to 4 significant digits; exact with --json)')
    .option('--uri <uri>', 'tracking URI (file:<dir>, postgres://..., crate://..., http(s)://<mlflow>)')
    .option('--experiment <name>', 'only runs of this experiment')
    .option('--filter <expr>', `MLflow-style filter, e.g. "metrics.f1 > 0.5 and params.detector = 'default'"`)
    .option('--order-by <key...>', 'sort keys, e.g. "metrics.f1 DESC" (default: start_time DESC)')
    .option('--max <n>', 'at most n runs', intOption(1))
    .option('--json', 'print JSON')
    .action((opts: ListRunsOptions) => listRuns(io, opts));

  runs
    .command('show <id>')
    .description('show one run: params, metrics, tags, datasets, artifacts')
    .option('--uri <uri>', 'tracking URI (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)')
    .option('--json', 'print JSON (with full metric histories)')
    .action((id: string, opts: { uri?: string; json?: boolean }) => showRun(io, id, opts));

  runs
    .command('end <id>')
    .description('end a run its process left RUNNING (a crash, kill -9); an ended run is refused')
    .addOption(
      new Option('--status <status>', 'the status to end it with')
        .choices(['FINISHED', 'FAILED', 'KILLED'])
        .makeOptionMandatory(),
    )
    .option('--uri <uri>', 'tracking URI (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)')
    .action((id: string, opts: { uri?: string; status: Exclude<RunStatus, 'RUNNING'> }) =>
      endRun(io, id, opts),
    );

  // >>> `tsad runs export` — owned by the trackmlflow helper: register the export subcommand
  // on `runs` here. (trackdb does not edit between these markers.)
  registerRunsExport(runs, io);
  // <<< end of export
  return runs;
}

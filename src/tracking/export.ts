/**
 * `exportRuns(from, to)`: copies experiments, runs (params, full metric histories, tags,
 * dataset inputs, artifacts, status and times) and registered models (versions and aliases)
 * from one tracker to another through the `Tracker` interface, so any backend pair works:
 * local store → MLflow server, MLflow → PostgreSQL, memory → file, ...
 *
 * Run ids are assigned by the destination; every copied run carries the tag
 * `tsad.export.source_run_id`, which also makes a repeated export skip runs it already copied.
 * The tag is set once the run's data is all there: a copy interrupted half-way is ended FAILED
 * without it, and the next export copies that run again.
 * Model versions are renumbered by the destination (it may already hold versions); aliases
 * follow their versions.
 */
import { TrackingError } from '../errors.js';
import type { MetricPoint, ModelVersion, Run, RunRecord, Tracker } from './tracker.js';

export const SOURCE_RUN_TAG = 'tsad.export.source_run_id';

export interface ExportOptions {
  /** Only these experiments (names); default every experiment. */
  experiments?: readonly string[];
  /** Copy registered models, versions and aliases (default true). */
  models?: boolean;
  /** Progress lines (one per run / model). */
  onProgress?: (message: string) => void;
}

export interface ExportReport {
  experiments: number;
  runs: number;
  /** Runs found already copied at the destination (by `tsad.export.source_run_id`). */
  skippedRuns: number;
  params: number;
  tags: number;
  metricPoints: number;
  datasets: number;
  artifacts: number;
  artifactBytes: number;
  models: number;
  modelVersions: number;
  aliases: number;
  /** Source run id → destination run id. */
  runIds: Record<string, string>;
  /** Things that could not be copied, with the reason. */
  warnings: string[];
}

/** Tags the destination sets itself (run name) or that would mislabel the copy. */
const SKIPPED_TAGS = new Set(['mlflow.runName']);

async function copyRun(from: Tracker, to: Tracker, rec: RunRecord, report: ExportReport): Promise<string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec.data.tags)) if (!SKIPPED_TAGS.has(k)) tags[k] = v;
  const run = await to.startRun({
    experiment: rec.experiment,
    name: rec.info.runName,
    tags,
    startTime: rec.info.startTime,
  });
  try {
    await copyRunData(from, run, rec, report);
  } catch (err) {
    // an incomplete copy is closed as FAILED and has no source tag, so the next export copies the run again
    await run.end('FAILED').catch(() => undefined);
    throw err;
  }
  report.tags += Object.keys(tags).length + 1;
  return run.id;
}

async function copyRunData(from: Tracker, run: Run, rec: RunRecord, report: ExportReport): Promise<void> {
  const src = rec.info.runId;

  const params = Object.entries(rec.data.params).map(([key, value]) => ({ key, value }));
  if (params.length > 0) await run.logBatch({ params });
  report.params += params.length;

  for (const key of Object.keys(rec.data.metrics).sort()) {
    const history: MetricPoint[] = await from.getMetricHistory(src, key);
    if (history.length > 0) await run.logBatch({ metrics: history });
    report.metricPoints += history.length;
  }

  if (rec.inputs.length > 0) await run.logInputs(rec.inputs);
  report.datasets += rec.inputs.length;

  for (const a of await from.listArtifacts(src)) {
    const bytes = await from.readArtifact(src, a.path);
    await run.logArtifact({ name: a.path, bytes });
    report.artifacts++;
    report.artifactBytes += bytes.length;
  }

  // The source tag goes last: it marks the copy complete (a repeated export skips the run).
  await run.setTags({ [SOURCE_RUN_TAG]: src });
  // A run still RUNNING at the source stays RUNNING at the destination.
  if (rec.info.status !== 'RUNNING') {
    await run.end(rec.info.status, rec.info.endTime === null ? {} : { endTime: rec.info.endTime });
  } else {
    await run.flush();
  }
}

async function copyModels(
  from: Tracker,
  to: Tracker,
  report: ExportReport,
  opts: ExportOptions,
): Promise<void> {
  const existing = new Map((await to.listRegisteredModels()).map((m) => [m.name, m]));
  for (const model of await from.listRegisteredModels()) {
    const versions = await from.listModelVersions(model.name);
    // Destination versions already copied from the same run and path (a repeated export).
    const have: ModelVersion[] = existing.has(model.name) ? await to.listModelVersions(model.name) : [];
    const versionMap = new Map<number, number>();
    let copied = 0;
    for (const v of versions) {
      const dstRun = report.runIds[v.runId];
      if (dstRun === undefined) {
        report.warnings.push(
          `model ${model.name} version ${v.version}: its run ${v.runId} was not exported, so the version was skipped`,
        );
        continue;
      }
      const same = have.find((h) => h.runId === dstRun && h.artifactPath === v.artifactPath);
      const dst = same ?? (await to.registerModel(model.name, dstRun, { artifactPath: v.artifactPath }));
      if (!same) {
        report.modelVersions++;
        copied++;
      }
      versionMap.set(v.version, dst.version);
    }
    for (const [alias, v] of Object.entries(model.aliases)) {
      const dst = versionMap.get(v);
      if (dst === undefined) {
        report.warnings.push(
          `model ${model.name} alias ${alias}: version ${v} was not copied, alias skipped`,
        );
        continue;
      }
      await to.setAlias(model.name, alias, dst);
      report.aliases++;
    }
    if (versionMap.size > 0) report.models++;
    opts.onProgress?.(
      `model ${model.name}: ${copied} version(s) copied, ${Object.keys(model.aliases).length} alias(es)`,
    );
  }
}

/** Copies everything (or the chosen experiments) from `from` to `to`. */
export async function exportRuns(
  from: Tracker,
  to: Tracker,
  opts: ExportOptions = {},
): Promise<ExportReport> {
  const report: ExportReport = {
    experiments: 0,
    runs: 0,
    skippedRuns: 0,
    params: 0,
    tags: 0,
    metricPoints: 0,
    datasets: 0,
    artifacts: 0,
    artifactBytes: 0,
    models: 0,
    modelVersions: 0,
    aliases: 0,
    runIds: {},
    warnings: [],
  };
  const all = await from.listExperiments();
  let chosen = all;
  if (opts.experiments) {
    const names = new Set(opts.experiments);
    chosen = all.filter((e) => names.has(e.name));
    const missing = [...names].filter((n) => !all.some((e) => e.name === n));
    if (missing.length > 0) {
      throw new TrackingError(
        'not_found',
        `cannot export: no experiment named ${missing.map((m) => JSON.stringify(m)).join(', ')} in ${from.uri}`,
      );
    }
  }
  for (const exp of chosen) {
    const runs = (await from.searchRuns({ experiment: exp.name })).sort(
      (a, b) => a.info.startTime - b.info.startTime || (a.info.runId < b.info.runId ? -1 : 1),
    );
    await to.getOrCreateExperiment(exp.name);
    report.experiments++;
    // Runs a previous export already copied.
    const done = new Map<string, string>();
    for (const r of await to.searchRuns({ experiment: exp.name })) {
      const s = r.data.tags[SOURCE_RUN_TAG];
      if (s !== undefined) done.set(s, r.info.runId);
    }
    for (const r of runs) {
      const prior = done.get(r.info.runId);
      if (prior !== undefined) {
        report.runIds[r.info.runId] = prior;
        report.skippedRuns++;
        continue;
      }
      const rec = await from.getRun(r.info.runId);
      report.runIds[r.info.runId] = await copyRun(from, to, rec, report);
      report.runs++;
      opts.onProgress?.(
        `run ${exp.name}/${rec.info.runName} ${rec.info.runId} → ${report.runIds[r.info.runId]}`,
      );
    }
  }
  if (opts.models !== false) await copyModels(from, to, report, opts);
  return report;
}

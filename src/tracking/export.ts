/**
 * `exportRuns(from, to)`: copies experiments, runs (params, full metric histories, tags,
 * dataset inputs, artifacts, status and times) and registered models (versions and aliases)
 * from one tracker to another through the `Tracker` interface, so any backend pair works:
 * local store → MLflow server, MLflow → PostgreSQL, memory → file, ...
 *
 * Resumable and idempotent: a destination run is created with the tag
 * `tsad.export.copying = <source run id>` and gets `tsad.export.source_run_id` once all its data is
 * there. An export first deletes destination runs that are still only `copying` (left by an
 * export that was killed or whose cleanup failed), then skips every source run already copied,
 * so re-running after any failure continues where it stopped and never duplicates a run.
 *
 * No half-copies: a run that cannot be copied whole is deleted from the destination. A run
 * whose own data the destination refuses (an artifact name, a value) is reported (run and file)
 * and the export goes on with the other runs and the models; a failure of the destination itself
 * (unreachable, out of space) stops the export after the cleanup. Either way the report lists
 * the failures and `tsad runs export` exits non-zero.
 * Model versions are renumbered by the destination (it may already hold versions); a repeated
 * export matches them by run, artifact path and order (a run registered twice from one path stays
 * two versions); aliases
 * and version tags follow their versions (a `tsad.promotion.previous.<alias>` tag is renumbered
 * too, so `rollback()` works at the destination).
 */
import { TrackingError } from '../errors.js';
import { ARTIFACT_PATH_TAG } from './mlflow-wire.js';
import {
  type Experiment,
  type MetricPoint,
  type ModelVersion,
  ParamConflictError,
  type Run,
  type RunRecord,
  type Tracker,
  TrackingNotFoundError,
  TrackingValidationError,
} from './tracker.js';

/** Set on a destination run once all its data is copied: the run is a complete copy of this source run. */
export const SOURCE_RUN_TAG = 'tsad.export.source_run_id';
/** Set when a destination run is created: a run with this tag but no `SOURCE_RUN_TAG` is a half-copy. */
export const COPYING_TAG = 'tsad.export.copying';
/**
 * Model-version tags whose value is a version number of the same model (`promote()`'s
 * `tsad.promotion.previous.<alias>`, which `rollback()` moves the alias back to): the export
 * renumbers them with the versions.
 */
export const PREVIOUS_VERSION_TAG_PREFIX = 'tsad.promotion.previous.';

export interface ExportOptions {
  /** Only these experiments (names); default every experiment. */
  experiments?: readonly string[];
  /** Copy registered models, versions and aliases (default true). */
  models?: boolean;
  /** Progress lines (one per run / model). */
  onProgress?: (message: string) => void;
}

/** A source run that was not copied (nothing of it is left at the destination). */
export interface ExportFailure {
  experiment: string;
  runName: string;
  sourceRunId: string;
  /** What went wrong, naming the file for artifacts. */
  reason: string;
  /** Artifacts the destination refused (path → reason). */
  artifacts: { path: string; reason: string }[];
}

export interface ExportReport {
  experiments: number;
  runs: number;
  /** Runs found already copied at the destination (by `tsad.export.source_run_id`). */
  skippedRuns: number;
  /** Half-copies an earlier, interrupted export left at the destination, deleted before copying again. */
  removedPartialCopies: number;
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
  /** Runs that could not be copied whole (deleted from the destination); a later export retries them. */
  failedRuns: ExportFailure[];
  /**
   * Source runs that could not be read at all (a local store's run.json that is corrupt or of
   * another version): not copied, and counted here so that nothing is left out without a word.
   */
  unreadableRuns: { experiment: string; sourceRunId: string; reason: string }[];
  /** Registered models that could not be copied, with the reason. */
  failedModels: { name: string; reason: string }[];
  /** Things that were left out on purpose, with the reason. */
  warnings: string[];
  /**
   * Set when a failure of the destination itself (not of one run's data) stopped the export
   * early; re-running the export continues from there.
   */
  stoppedBy?: string;
}

/** Tags the destination sets itself (run name) or that would mislabel the copy. */
const SKIPPED_TAGS = new Set(['mlflow.runName', SOURCE_RUN_TAG, COPYING_TAG]);

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Whether a failure belongs to one run's data (the destination refuses a name or a value: skip
 * that run, go on) rather than to the destination as a whole (unreachable, full, auth: stop).
 */
function refusesData(err: unknown): boolean {
  if (err instanceof TrackingValidationError || err instanceof ParamConflictError) return true;
  const status = (err as { status?: unknown }).status;
  return err instanceof TrackingError && (status === 400 || status === 413);
}

/** Raised inside a run copy when artifacts were refused; the run is then removed as a whole. */
class ArtifactsRefused extends TrackingValidationError {
  constructor(readonly refused: { path: string; reason: string }[]) {
    super('export_artifacts_refused', refused.map((r) => `artifact "${r.path}": ${r.reason}`).join('; '));
  }
}

async function copyRun(from: Tracker, to: Tracker, rec: RunRecord, report: ExportReport): Promise<string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec.data.tags)) if (!SKIPPED_TAGS.has(k)) tags[k] = v;
  const run = await to.startRun({
    experiment: rec.experiment,
    name: rec.info.runName,
    tags: { ...tags, [COPYING_TAG]: rec.info.runId },
    startTime: rec.info.startTime,
  });
  const counts = { params: 0, metricPoints: 0, datasets: 0, artifacts: 0, artifactBytes: 0 };
  try {
    await copyRunData(from, run, rec, counts);
  } catch (err) {
    // Not whole: remove it. If even that fails, it keeps the copying tag and the next export removes it.
    await to.deleteRun(run.id).catch(async () => {
      await run.end('FAILED').catch(() => undefined);
    });
    throw err;
  }
  report.params += counts.params;
  report.metricPoints += counts.metricPoints;
  report.datasets += counts.datasets;
  report.artifacts += counts.artifacts;
  report.artifactBytes += counts.artifactBytes;
  report.tags += Object.keys(tags).length + 2;
  return run.id;
}

async function copyRunData(
  from: Tracker,
  run: Run,
  rec: RunRecord,
  counts: {
    params: number;
    metricPoints: number;
    datasets: number;
    artifacts: number;
    artifactBytes: number;
  },
): Promise<void> {
  const src = rec.info.runId;

  const params = Object.entries(rec.data.params).map(([key, value]) => ({ key, value }));
  if (params.length > 0) await run.logBatch({ params });
  counts.params += params.length;

  for (const key of Object.keys(rec.data.metrics).sort()) {
    const history: MetricPoint[] = await from.getMetricHistory(src, key);
    if (history.length > 0) await run.logBatch({ metrics: history });
    counts.metricPoints += history.length;
  }

  if (rec.inputs.length > 0) await run.logInputs(rec.inputs);
  counts.datasets += rec.inputs.length;

  // Every artifact is tried, so one report names all the files of the run the destination refuses.
  const refused: { path: string; reason: string }[] = [];
  for (const a of await from.listArtifacts(src)) {
    try {
      const bytes = await from.readArtifact(src, a.path);
      await run.logArtifact({ name: a.path, bytes });
      counts.artifacts++;
      counts.artifactBytes += bytes.length;
    } catch (err) {
      if (!refusesData(err)) throw err;
      refused.push({ path: a.path, reason: message(err) });
    }
  }
  if (refused.length > 0) throw new ArtifactsRefused(refused);

  // The source tag goes last: it marks the copy complete (a repeated export skips the run).
  await run.setTags({ [SOURCE_RUN_TAG]: src });
  // A run still RUNNING at the source stays RUNNING at the destination.
  if (rec.info.status !== 'RUNNING') {
    await run.end(rec.info.status, rec.info.endTime === null ? {} : { endTime: rec.info.endTime });
  } else {
    await run.flush();
  }
}

async function copyModel(
  from: Tracker,
  to: Tracker,
  name: string,
  aliases: Readonly<Record<string, number>>,
  existing: boolean,
  report: ExportReport,
  opts: ExportOptions,
): Promise<void> {
  const versions = await from.listModelVersions(name);
  // Destination versions already copied from the same run and path (a repeated export), each claimed by
  // one source version: the k-th source version of a run and path is the k-th destination version of
  // them (both ascending), so two registrations of one run's path stay two versions.
  const have: ModelVersion[] = existing ? await to.listModelVersions(name) : [];
  const claimed = new Set<number>();
  const versionMap = new Map<number, number>();
  let copied = 0;
  for (const v of versions) {
    const dstRun = report.runIds[v.runId];
    if (dstRun === undefined) {
      report.warnings.push(
        `model ${name} version ${v.version}: its run ${v.runId} was not exported, so the version was skipped`,
      );
      continue;
    }
    const same = have.find(
      (h) => h.runId === dstRun && h.artifactPath === v.artifactPath && !claimed.has(h.version),
    );
    if (same) claimed.add(same.version);
    let dst: ModelVersion;
    try {
      dst = same ?? (await to.registerModel(name, dstRun, { artifactPath: v.artifactPath }));
    } catch (err) {
      // a version an earlier tsad registered from a run with no model there: the destination refuses
      // it (it could never be loaded), which costs that version only
      if (!(err instanceof TrackingNotFoundError)) throw err;
      report.warnings.push(`model ${name} version ${v.version}: ${message(err)}; the version was skipped`);
      continue;
    }
    if (!same) {
      report.modelVersions++;
      copied++;
    }
    versionMap.set(v.version, dst.version);
  }
  for (const [src, dst] of versionMap) await copyVersionTags(from, to, name, src, dst, versionMap, report);
  for (const [alias, v] of Object.entries(aliases)) {
    const dst = versionMap.get(v);
    if (dst === undefined) {
      report.warnings.push(`model ${name} alias ${alias}: version ${v} was not copied, alias skipped`);
      continue;
    }
    await to.setAlias(name, alias, dst);
    report.aliases++;
  }
  if (versionMap.size > 0) report.models++;
  opts.onProgress?.(`model ${name}: ${copied} version(s) copied, ${Object.keys(aliases).length} alias(es)`);
}

/**
 * A version's tags, except the artifact path an MLflow store keeps as a tag (the destination's
 * registration sets its own); a previous-version tag is renumbered, or left out with a warning when
 * that version was not copied (a wrong number would roll back to another model).
 */
async function copyVersionTags(
  from: Tracker,
  to: Tracker,
  name: string,
  src: number,
  dst: number,
  versionMap: ReadonlyMap<number, number>,
  report: ExportReport,
): Promise<void> {
  const tags = await from.getModelVersionTags(name, src);
  for (const [key, value] of Object.entries(tags)) {
    if (key === ARTIFACT_PATH_TAG) continue;
    let copied = value;
    if (key.startsWith(PREVIOUS_VERSION_TAG_PREFIX) && value !== '') {
      const mapped = /^[1-9]\d*$/.test(value) ? versionMap.get(Number(value)) : undefined;
      if (mapped === undefined) {
        report.warnings.push(
          `model ${name} version ${src}: tag ${key} names version ${value}, which was not copied; tag skipped`,
        );
        continue;
      }
      copied = String(mapped);
    }
    await to.setModelVersionTag(name, dst, key, copied);
  }
}

async function copyModels(
  from: Tracker,
  to: Tracker,
  report: ExportReport,
  opts: ExportOptions,
): Promise<void> {
  const existing = new Set((await to.listRegisteredModels()).map((m) => m.name));
  for (const model of await from.listRegisteredModels()) {
    try {
      await copyModel(from, to, model.name, model.aliases, existing.has(model.name), report, opts);
    } catch (err) {
      if (!refusesData(err)) throw err;
      report.failedModels.push({ name: model.name, reason: message(err) });
      opts.onProgress?.(`model ${model.name}: not copied: ${message(err)}`);
    }
  }
}

/**
 * Copies everything (or the chosen experiments) from `from` to `to`. Failures do not throw (except a
 * bad `experiments` choice): the report lists them in `failedRuns`, `failedModels` and `stoppedBy`,
 * so check those (`tsad runs export` exits 5 when any is set).
 */
/**
 * Runs the source's searches skipped as unreadable: only the local store has such runs
 * (`FileTracker.unreadableRuns`, also forwarded by `openTracker`'s tracker, as a promise).
 */
async function unreadableRuns(
  t: Tracker,
): Promise<readonly { runId: string; experimentId: string; reason: string }[]> {
  type Skipped = readonly { runId: string; experimentId: string; reason: string }[];
  const f = (t as Partial<{ unreadableRuns(): Skipped | Promise<Skipped> }>).unreadableRuns;
  return typeof f === 'function' ? await f.call(t) : [];
}

export async function exportRuns(
  from: Tracker,
  to: Tracker,
  opts: ExportOptions = {},
): Promise<ExportReport> {
  const report: ExportReport = {
    experiments: 0,
    runs: 0,
    skippedRuns: 0,
    removedPartialCopies: 0,
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
    failedRuns: [],
    unreadableRuns: [],
    failedModels: [],
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
  try {
    for (const exp of chosen) await copyExperiment(from, to, exp, report, opts);
    if (opts.models !== false) await copyModels(from, to, report, opts);
  } catch (err) {
    // The destination itself failed: what is copied stays (complete runs only); a re-run continues.
    report.stoppedBy = message(err);
  }
  return report;
}

async function copyExperiment(
  from: Tracker,
  to: Tracker,
  exp: Experiment,
  report: ExportReport,
  opts: ExportOptions,
): Promise<void> {
  const name = exp.name;
  const runs = (await from.searchRuns({ experiment: name })).sort(
    (a, b) => a.info.startTime - b.info.startTime || (a.info.runId < b.info.runId ? -1 : 1),
  );
  // the source lists every run its searches ever skipped (each once, whichever search met it first:
  // maybe one before this export), so pick this experiment's, less any readable again since
  const found = new Set(runs.map((r) => r.info.runId));
  for (const u of await unreadableRuns(from)) {
    if (u.experimentId !== exp.experimentId || found.has(u.runId)) continue;
    report.unreadableRuns.push({ experiment: name, sourceRunId: u.runId, reason: u.reason });
  }
  await to.getOrCreateExperiment(name);
  report.experiments++;
  // Runs a previous export copied; half-copies it left (killed, or its cleanup failed) go first.
  const done = new Map<string, string>();
  for (const r of await to.searchRuns({ experiment: name })) {
    const s = r.data.tags[SOURCE_RUN_TAG];
    if (s !== undefined) done.set(s, r.info.runId);
    else if (r.data.tags[COPYING_TAG] !== undefined) {
      await to.deleteRun(r.info.runId);
      report.removedPartialCopies++;
      opts.onProgress?.(
        `removed the half-copy ${r.info.runId} of run ${r.data.tags[COPYING_TAG]} left by an earlier export`,
      );
    }
  }
  for (const r of runs) {
    const src = r.info.runId;
    const prior = done.get(src);
    if (prior !== undefined) {
      report.runIds[src] = prior;
      report.skippedRuns++;
      continue;
    }
    const rec = await from.getRun(src);
    const label = `run ${name}/${rec.info.runName} ${src}`;
    try {
      report.runIds[src] = await copyRun(from, to, rec, report);
    } catch (err) {
      if (!refusesData(err)) {
        throw new TrackingError('export_stopped', `${label}: ${message(err)}`, { cause: err });
      }
      report.failedRuns.push({
        experiment: name,
        runName: rec.info.runName,
        sourceRunId: src,
        reason: message(err),
        artifacts: err instanceof ArtifactsRefused ? err.refused : [],
      });
      opts.onProgress?.(`${label}: not copied (nothing of it left at the destination): ${message(err)}`);
      continue;
    }
    report.runs++;
    opts.onProgress?.(`${label} → ${report.runIds[src]}`);
  }
}

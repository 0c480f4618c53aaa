import { dirname, resolve } from 'node:path';
import type { SqlSource } from '../../datasets/sql.js';
import { BaseDetector } from '../../detectors/base.js';
import { defaultDetector } from '../../detectors/default.js';
import { startForestWorker } from '../../detectors/rcf/forest.js';
import type { AlarmEvent, Detector } from '../../detectors/types.js';
import { makeDirs } from '../../fs-dirs.js';
import { evaluate, type TsadReport } from '../../metrics/index.js';
import { renderExperimentReport } from '../../report/html.js';
import { splitAt } from '../../series/index.js';
import type { TimeSeries, Window } from '../../series/types.js';
import { classifyUri, defaultTrackingUri, openTracker } from '../../tracking/open.js';
import { datasetInput } from '../../tracking/params.js';
import type { LoggableModel, Run, Tracker } from '../../tracking/tracker.js';
import { writeOutputFile } from '../output.js';
import { Stages, type StageTiming } from '../progress.js';
import { EXPERIMENT_NAME } from './experiment-name.js';
import { loadMachineTemperature, splitTableParam, sqlSlice } from './machine-temperature-data.js';

export const MACHINE_TEMPERATURE_FILE = 'realKnownCause/machine_temperature_system_failure.csv';
export { EXPERIMENT_NAME } from './experiment-name.js';
/** Train on timestamps before this instant, test from it on. */
export const SPLIT_TIME = Date.UTC(2013, 11, 15);
/** The labelled windows after the split (inclusive, UTC), as the reference experiment uses them. */
export const TEST_WINDOWS: readonly Window[] = [
  [Date.UTC(2013, 11, 15, 17, 50), Date.UTC(2013, 11, 17, 17, 0)],
  [Date.UTC(2014, 0, 27, 14, 20), Date.UTC(2014, 0, 29, 13, 30)],
  [Date.UTC(2014, 1, 7, 14, 55), Date.UTC(2014, 1, 9, 14, 5)],
];
/** Merlion's DefaultDetector on this experiment (the reference row): as the project's issue 4 reports it on this machine (Merlion is not run here). */
export const REFERENCE = {
  precision: 2 / 3,
  recall: 2 / 3,
  f1: 2 / 3,
  mttdSec: 33 * 3600 + 50 * 60,
  seconds: '15–20',
};

export interface MachineTemperatureOptions {
  /** Detector recipe (default `default`). */
  readonly detector?: string;
  readonly seed?: number;
  /** Tracking URI, or `false` for no tracking. Default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs. */
  readonly trackingUri?: string | false;
  /** Where the HTML report goes (default `bench/results/nab-machine-temperature.html`); `false` for none. */
  readonly reportPath?: string | false;
  /** Progress lines for slow stages (default stderr); null for silence. */
  readonly progress?: NodeJS.WritableStream | null;
  /**
   * Read the series from PostgreSQL instead of the CSV (`postgres://…[?table=name]`): the CSV is loaded
   * into the table once, then read back with `date_bin` + `max`; the tracked datasets name the table and range.
   */
  readonly data?: string;
  /**
   * The tracker to record into, already opened on `trackingUri` (the CLI opens it before this
   * module loads, so that its backend loads at the same time); closed at the end. Default: opened here.
   */
  readonly tracker?: Tracker;
  /**
   * Start the forest worker (`startForestWorker`) so that the Random Cut Forest's batches run on two
   * threads (same numbers). Default true.
   */
  readonly forestWorker?: boolean;
}

export interface AlarmRow extends AlarmEvent {
  /** Index into TEST_WINDOWS, or null for a false positive. */
  readonly window: number | null;
}

export interface MachineTemperatureResult {
  readonly detector: Detector;
  readonly recipe: string;
  readonly rows: {
    readonly raw: number;
    readonly binned: number;
    readonly train: number;
    readonly test: number;
  };
  readonly train: TimeSeries;
  readonly test: TimeSeries;
  /** Calibrated anomaly scores on the test part. */
  readonly scores: TimeSeries;
  /** Post-rule scores on the test part (non-zero = alarm). */
  readonly alarmScores: TimeSeries;
  readonly alarms: AlarmRow[];
  readonly report: TsadReport;
  readonly timings: StageTiming[];
  readonly runId?: string;
  readonly modelVersion?: number;
  readonly reportPath?: string;
  /** Where the series came from when read from a database. */
  readonly sql?: SqlSource;
  /** Rows written to the database's `tsad_predictions` table (test part: value, score, alarm). */
  readonly predictionsWritten?: number;
}

function windowOf(t: number): number | null {
  const k = TEST_WINDOWS.findIndex(([a, b]) => t >= a && t <= b);
  return k < 0 ? null : k;
}

/** The alarm-rule params the reference experiment logs, read from the detector's post-rule config. */
function alarmParams(det: Detector): Record<string, string | number | boolean | null> {
  const cfg = det.config as {
    threshold?: {
      almThreshold?: number | null;
      minAlmInWindow?: number;
      almWindowMinutes?: number;
      almSuppressMinutes?: number;
    };
    members?: unknown[];
  };
  const th = cfg.threshold ?? {};
  return {
    anomaly_threshold: th.almThreshold ?? null,
    min_alm_window: th.minAlmInWindow ?? null,
    alm_window_minutes: th.almWindowMinutes ?? null,
    alm_suppress_minutes: th.almSuppressMinutes ?? null,
    ensemble_size: Array.isArray(cfg.members) ? cfg.members.length : 1,
  };
}

/**
 * The NAB machine-temperature experiment, as the Merlion + MLflow tutorials run it: 5-minute max bins,
 * train before 2013-12-15, the detector trained without labels, alarms on the test part, Merlion's revised
 * point-adjusted metrics against the three windows after the split, tracked and reported.
 */
export async function runMachineTemperature(
  opts: MachineTemperatureOptions = {},
): Promise<MachineTemperatureResult> {
  // first: the worker starts (on the other core) while the data loads
  if (opts.forestWorker !== false) startForestWorker();
  const stages = new Stages(opts.progress === undefined ? process.stderr : opts.progress);
  const recipe = opts.detector ?? 'default';
  const seed = opts.seed ?? 0;
  let detector: Detector;
  try {
    // a bad tracking URI or recipe fails now, not after the experiment has run
    if (opts.trackingUri !== false) classifyUri(opts.trackingUri ?? defaultTrackingUri());
    detector = await buildRecipe(recipe, seed);
  } catch (e) {
    await opts.tracker?.close().catch(() => undefined);
    throw e;
  }
  // a tracker given for an untracked run records nothing: closed now, as it would be at the end
  if (opts.trackingUri === false) await opts.tracker?.close().catch(() => undefined);
  // The tracked run starts with the experiment: its first records are written while the data
  // loads (their file I/O interleaves with the CSV's), the rest when the results are in.
  const tracked =
    opts.trackingUri === false
      ? undefined
      : beginTrackedRun(opts.tracker ?? openTracker(opts.trackingUri), recipe, seed, detector);
  try {
    return await experiment(opts, stages, recipe, detector, tracked);
  } catch (e) {
    // the run ends FAILED (with the error as its tsad.error tag) before the error goes on
    if (tracked) {
      tracked.fail(e);
      await tracked.runId.catch(() => undefined);
      await tracked.tracker.close().catch(() => undefined);
    }
    throw e;
  }
}

/**
 * A recipe's detector (`makeDetector` of src/lab/recipes.ts): the default one without loading the
 * table of recipes (every candidate's module, compiled for nothing by the default command).
 */
export async function buildRecipe(name: string, seed: number): Promise<Detector> {
  if (name === 'default') return defaultDetector({ seed });
  const { makeDetector } = await import('../../lab/recipes.js');
  return makeDetector(name, { seed });
}

/** A run started before the experiment: `finish` gives it the rest of its records, `fail` ends it FAILED. */
interface TrackedRun {
  readonly tracker: Tracker;
  /** The run's id once it has ended FINISHED (rejects with the experiment's or the store's error). */
  readonly runId: Promise<string>;
  finish(rest: (run: Run) => Promise<void>): void;
  fail(error: unknown): void;
  /**
   * Serialises the trained model now (`toJSON`, while the forest worker scores), and starts
   * writing its files if the run has started (they are written while the experiment goes on; the
   * run ends only after them, so a failed experiment's FAILED run may then hold the model).
   */
  logModelEarly(detector: Detector): void;
  /** The model's logging: the one `logModelEarly` started, else started now (from its snapshot). */
  logModel(run: Run, detector: Detector): Promise<unknown>;
}

function beginTrackedRun(tracker: Tracker, recipe: string, seed: number, detector: Detector): TrackedRun {
  let settle: (rest: ((run: Run) => Promise<void>) | { error: unknown }) => void = () => {};
  const rest = new Promise<((run: Run) => Promise<void>) | { error: unknown }>((r) => {
    settle = r;
  });
  let active: Run | undefined;
  let model: Promise<unknown> | undefined;
  /** The trained model's file as `logModelEarly` took it (the same object `toJSON` gives later). */
  let snapshot: LoggableModel | undefined;
  const runId = tracker.run({ experiment: EXPERIMENT_NAME, name: `${recipe}-seed${seed}` }, async (run) => {
    active = run;
    try {
      await run.logParams({
        ...alarmParams(detector),
        detector: recipe,
        seed,
        // the config itself is logged once, by logModel (model.config.* keys)
      });
      const r = await rest;
      if (typeof r !== 'function') throw r.error;
      await r(run);
      return run.id;
    } finally {
      active = undefined;
      // the model's writes (logModelEarly) end before the run does
      await model?.catch(() => undefined);
    }
  });
  runId.catch(() => {}); // awaited by the caller; a failure is reported there
  return {
    tracker,
    runId,
    finish: (f) => settle(f),
    fail: (error) => settle({ error }),
    logModelEarly: (det) => {
      if (model || snapshot) return;
      const json = det.toJSON();
      snapshot = { type: det.type, config: det.config, toJSON: () => json };
      if (!active) return; // not started yet (its files are still being created): written at the end
      model = active.logModel(snapshot);
      model.catch(() => {}); // awaited by the run (logModel below); a failure is reported there
    },
    logModel: (run, det) => {
      model ??= run.logModel(snapshot ?? det);
      return model;
    },
  };
}

/** The experiment once the detector is built (and its tracked run started, when tracked). */
async function experiment(
  opts: MachineTemperatureOptions,
  stages: Stages,
  recipe: string,
  detector: Detector,
  tracked: TrackedRun | undefined,
): Promise<MachineTemperatureResult> {
  const data = await stages.run(
    opts.data ? 'load data (SQL, date_bin 5 min / max)' : 'load data + bin 5 min / max',
    () => loadMachineTemperature(opts.data),
  );
  const full = data.full;
  const [train, test] = splitAt(full, SPLIT_TIME);
  await stages.run('train', () => detector.train(train));
  // The model as trained is what is tracked, so a loaded copy scores the test part exactly like this
  // run. Scoring below leaves the detector unchanged (`score()` is pure: online members learn on a
  // copy), so when tracked the model is serialised now, and its files are written while the
  // experiment goes on.
  tracked?.logModelEarly(detector);
  // One streaming pass over the test part, the way a service runs it: each point scored (and, for
  // online members, learned from) in order. A BaseDetector computes the same numbers and alarms in
  // batch (the test part scored with the training part as its context, then the alarm rule), faster.
  const { scores, alarmScores, events } = await stages.run('score + alarms', () => {
    if (detector instanceof BaseDetector) {
      const sc = detector.score(test, { prev: train });
      const al = detector.applyRule(sc);
      const ev: AlarmEvent[] = [];
      for (let i = 0; i < al.v.length; i++) if (al.v[i] !== 0) ev.push({ t: al.t[i], score: al.v[i] });
      return { scores: sc, alarmScores: al, events: ev };
    }
    const n = test.t.length;
    const sv = new Float64Array(n);
    const av = new Float64Array(n);
    const ev: AlarmEvent[] = [];
    const st = detector.stream();
    for (let i = 0; i < n; i++) {
      const r = st.push(test.t[i], test.v[i]);
      sv[i] = r.score;
      if (r.alarm) {
        av[i] = r.score;
        ev.push({ t: test.t[i], score: r.score });
      }
    }
    return { scores: { t: test.t, v: sv }, alarmScores: { t: test.t, v: av }, events: ev };
  });
  const report = await stages.run('evaluate', () =>
    evaluate({ t: full.t, truth: TEST_WINDOWS, tPred: test.t, pred: alarmScores.v }),
  );
  const alarms: AlarmRow[] = events.map((a) => ({ ...a, window: windowOf(a.t) }));

  let reportPath: string | undefined;
  /**
   * Renders the report; its file is written in the background (`written`). The page is encoded
   * once: the same bytes go to its file and to the run's copy.
   */
  const writeReport = (runId: string | undefined): { bytes: Uint8Array; written: Promise<void> } => {
    const path = reportPath as string;
    const page = renderExperimentReport({
      ...(runId ? { runId } : {}),
      config: detector.config,
      title: `NAB machine temperature: ${recipe} detector`,
      subtitle: `train before 2013-12-15 (${train.t.length} points), test after (${test.t.length} points); 5-minute max bins`,
      series: full,
      windows: TEST_WINDOWS,
      split: SPLIT_TIME,
      scores,
      threshold: alarmParams(detector).anomaly_threshold as number | undefined,
      alarms,
      tables: [
        {
          title: 'Metrics (revised point-adjusted unless named)',
          table: {
            headers: ['', 'precision', 'recall', 'F1', 'MTTD', 'PW F1', 'PA F1'],
            rows: [
              [
                `tsad ${recipe}`,
                report.precision,
                report.recall,
                report.f1,
                report.recall > 0 ? formatDuration(report.meanTimeToDetectSec) : '—',
                report.pointwise.f1,
                report.pointAdjusted.f1,
              ],
              [
                'Merlion DefaultDetector',
                REFERENCE.precision,
                REFERENCE.recall,
                REFERENCE.f1,
                formatDuration(REFERENCE.mttdSec),
                '',
                '',
              ],
            ],
          },
        },
        {
          title: 'Alarms',
          table: {
            headers: ['time (UTC)', 'score', 'verdict'],
            rows: alarms.map((a) => [
              new Date(a.t).toISOString().slice(0, 16).replace('T', ' '),
              a.score,
              a.window === null ? 'false positive' : `window ${a.window + 1}`,
            ]),
          },
        },
        {
          title: 'Stage timings (ms)',
          table: { headers: ['stage', 'ms'], rows: stages.timings.map((s) => [s.stage, Math.round(s.ms)]) },
        },
      ],
    });
    const bytes = new TextEncoder().encode(page);
    const written = makeDirs(dirname(path)).then(() => writeOutputFile(path, bytes));
    written.catch(() => {}); // awaited by the caller; a failure is reported there
    return { bytes, written };
  };
  if (opts.reportPath !== false) {
    reportPath = resolve(opts.reportPath ?? 'bench/results/nab-machine-temperature.html');
    // with tracking, the report is written inside the run (it shows the run id); else here
    if (opts.trackingUri === false) await stages.run('report', () => writeReport(undefined).written);
  }

  let runId: string | undefined;
  let modelVersion: number | undefined;
  if (tracked) {
    await stages.run('track', async () => {
      const { tracker } = tracked;
      try {
        tracked.finish(async (run) => {
          // the run's records are written (file I/O in the background) while the report renders
          const records = (async () => {
            await run.logMetrics({
              precision: report.precision,
              recall: report.recall,
              f1: report.f1,
              ...(report.recall > 0 ? { mttd: report.meanTimeToDetectSec } : {}), // none: nothing detected
              pointwise_f1: report.pointwise.f1,
              point_adjusted_f1: report.pointAdjusted.f1,
              nab_standard: report.nab.standard,
              alarms: alarms.length,
            });
            if (data.sql) {
              const last = full.t[full.t.length - 1] + 5 * 60_000;
              await run.logParams({ data_table: data.sql.table, data_query: data.sql.query });
              // both datasets in one write of the run's record
              await run.logInputs([
                datasetInput(train, {
                  ...(await sqlSlice(data.sql, train.t[0], SPLIT_TIME, train.t.length)),
                  context: 'training',
                }),
                datasetInput(test, {
                  ...(await sqlSlice(data.sql, SPLIT_TIME, last, test.t.length)),
                  context: 'testing',
                }),
              ]);
            } else {
              await run.logInputs([
                datasetInput(train, { name: `${MACHINE_TEMPERATURE_FILE}#train`, context: 'training' }),
                datasetInput(test, { name: `${MACHINE_TEMPERATURE_FILE}#test`, context: 'testing' }),
              ]);
            }
          })();
          records.catch(() => {}); // awaited below; a failure is reported there
          const html = reportPath ? writeReport(run.id) : undefined;
          await records;
          // the model file and the report (its file and its copy in the run) are written together
          await Promise.all([
            tracked.logModel(run, detector),
            html?.written,
            html === undefined ? undefined : run.logArtifact({ name: 'report.html', bytes: html.bytes }),
          ]);
        });
        const id = await tracked.runId;
        runId = id;
        const mv = await tracker.registerModel(EXPERIMENT_NAME, id);
        modelVersion = mv.version;
      } finally {
        await tracker.close();
      }
    });
  }

  // From a database, the scores and alarms go back beside the inputs (tsad_predictions), keyed by run.
  let predictionsWritten: number | undefined;
  const sql = data.sql;
  if (sql && opts.data) {
    const dbUri = splitTableParam(opts.data).uri;
    const { writeSql } = await import('../../datasets/sql.js');
    predictionsWritten = await stages.run('write predictions (SQL)', () =>
      writeSql(dbUri, {
        series: sql.table,
        t: test.t,
        value: test.v,
        score: scores.v,
        alarm: alarmScores.v,
        model: EXPERIMENT_NAME,
        ...(modelVersion !== undefined ? { modelVersion } : {}),
        ...(runId ? { runId } : {}),
      }),
    );
  }

  return {
    detector,
    recipe,
    rows: { raw: data.rawRows, binned: full.t.length, train: train.t.length, test: test.t.length },
    train,
    test,
    scores,
    alarmScores,
    alarms,
    report,
    timings: stages.timings,
    runId,
    modelVersion,
    reportPath,
    ...(data.sql ? { sql: data.sql } : {}),
    ...(predictionsWritten !== undefined ? { predictionsWritten } : {}),
  };
}

/** `1 d 09:50` style, as the reference prints mean time to detect. */
export function formatDuration(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.floor(sec % 60);
  const hm = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}${s ? `:${String(s).padStart(2, '0')}` : ''}`;
  return `${d} d ${hm}`; // one format in every row (days shown even when 0)
}

/** The result as text: metrics next to the reference row, the alarms, the stage timings. */
export function formatMachineTemperature(r: MachineTemperatureResult): string {
  const f = (x: number) => x.toFixed(4);
  const L: string[] = [];
  L.push(
    `NAB machine temperature — ${r.rows.raw} raw rows → ${r.rows.binned} 5-min bins; train ${r.rows.train}, test ${r.rows.test}`,
  );
  L.push('');
  L.push(
    `${'detector'.padEnd(28)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'F1'.padStart(9)} ${'MTTD'.padStart(12)}  PW-F1   PA-F1`,
  );
  L.push(
    `${`tsad ${r.recipe}`.padEnd(28)} ${f(r.report.precision).padStart(9)} ${f(r.report.recall).padStart(9)} ${f(r.report.f1).padStart(9)} ${(r.report.recall > 0 ? formatDuration(r.report.meanTimeToDetectSec) : '—').padStart(12)}  ${f(r.report.pointwise.f1)}  ${f(r.report.pointAdjusted.f1)}`,
  );
  L.push(
    `${'Merlion DefaultDetector'.padEnd(28)} ${f(REFERENCE.precision).padStart(9)} ${f(REFERENCE.recall).padStart(9)} ${f(REFERENCE.f1).padStart(9)} ${formatDuration(REFERENCE.mttdSec).padStart(12)}  (reference, ${REFERENCE.seconds} s)`,
  );
  L.push('');
  L.push(`alarms (${r.alarms.length}):`);
  for (const a of r.alarms) {
    L.push(
      `  ${new Date(a.t).toISOString().slice(0, 16).replace('T', ' ')}  score ${a.score.toFixed(3).padStart(8)}  ${a.window === null ? 'FALSE POSITIVE' : `window ${a.window + 1}`}`,
    );
  }
  const detectedWindows = new Set(r.alarms.filter((a) => a.window !== null).map((a) => a.window));
  for (let k = 0; k < TEST_WINDOWS.length; k++) {
    if (!detectedWindows.has(k)) L.push(`  (window ${k + 1} missed)`);
  }
  L.push('');
  L.push(`stages: ${r.timings.map((s) => `${s.stage} ${s.ms.toFixed(0)} ms`).join(', ')}`);
  if (r.runId)
    L.push(`tracked: run ${r.runId}${r.modelVersion ? `, model ${EXPERIMENT_NAME} v${r.modelVersion}` : ''}`);
  if (r.reportPath) L.push(`report: ${r.reportPath}`);
  return L.join('\n');
}

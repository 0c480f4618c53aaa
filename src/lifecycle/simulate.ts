/**
 * `simulate()`: replays a series as a live deployment would have seen it. A model is trained on the data
 * before `initialTrainEnd`; from there the series is walked forward point by point, each point scored by
 * the model live at that time through its streaming API (`stream().push`), and the model is replaced by
 * a freshly trained one at each retraining time (a fixed schedule, and/or a drift event of the input
 * values). A retrain at time t trains on data strictly before t (a sliding window of fixed length, or
 * everything so far), so nothing is ever scored by a model that saw it or anything after it.
 *
 * The schedule follows Merlion's `TSADEvaluator` (see docs/lifecycle.md for where it differs).
 */
import type { AlarmEvent, Detector } from '../detectors/types.js';
import { isTrainRefusalCode } from '../errors.js';
import { evaluate, type TsadReport } from '../metrics/index.js';
import { checkLabelWindows } from '../series/label-windows.js';
import { lowerBound } from '../series/ops.js';
import { parseTime } from '../series/series.js';
import type { TimeInput, TimeSeries, Window } from '../series/types.js';
import type { LoggableModel, Run, Tracker } from '../tracking/tracker.js';
import { type Duration, parseDuration } from './duration.js';
import { badLabels, LifecycleError } from './errors.js';
import { type DriftCheck, Monitor, type MonitorOptions, monitorMetrics } from './monitor.js';
import type { TrainJob, TrainReply } from './train-job.js';
import { startTrainPool } from './train-pool.js';

/** `'expanding'`, `'sliding:7d'`, or the object form. */
export type TrainWindow =
  | 'expanding'
  | `sliding:${string}`
  | { readonly kind: 'expanding' }
  | { readonly kind: 'sliding'; readonly length: Duration };

export interface SimulationTracking {
  readonly tracker: Tracker;
  /** Experiment of the parent run and its child runs. */
  readonly experiment: string;
  /** Registered model each retrain's model becomes a version of (default: the experiment name). */
  readonly modelName?: string;
  /** Parent run name (default `simulate`). */
  readonly runName?: string;
  /** Name of the series in dataset records (default `series`). */
  readonly seriesName?: string;
  /** Where the series came from (a path or a SQL source), recorded with each training slice. */
  readonly source?: string;
}

export interface SimulateOptions {
  /** The first model trains on the points before this time; scoring starts here. */
  readonly initialTrainEnd: TimeInput;
  /** Training data of each retrain (default `'expanding'`). */
  readonly trainWindow?: TrainWindow;
  /** Fixed retraining interval (`'1d'`, `'7d'`, ms), or `'never'` (default). */
  readonly retrainEvery?: Duration | 'never';
  /** Also retrain at the point after a drift event of the input values (monitor vs the training slice). */
  readonly retrainOn?: 'drift';
  /** Monitor settings for `retrainOn: 'drift'` and drift reporting (window, every, bins, thresholds). */
  readonly monitor?: Omit<MonitorOptions, 'reference' | 'series' | 'referenceRun'>;
  /** Anomaly windows (inclusive, epoch ms) for the metric report; windows ending before the split are ignored. */
  readonly labels?: readonly Window[];
  /** Track a parent run with one child run per (re)training, each registering a model version. */
  readonly tracking?: SimulationTracking;
  /**
   * Run the models of a fixed schedule in parallel: on `workers` worker threads and on the calling
   * thread, each building the named detector recipe with `seed` (which must be what `makeDetector`
   * builds: one untrained detector of each is compared, type and config, before anything is trained,
   * and a difference is `LifecycleError` `bad_option`); on n free cores, n − 1 workers. With a fixed schedule each model's training slice and
   * live period are known in advance, and each live period is scored by a fresh stream of its model,
   * so every (train, score the period) job is independent: the threads run them in parallel and the
   * results are the same as in line (tested). Ignored with
   * `retrainOn: 'drift'`, whose retrain times depend on what the models saw; if a scheduled retrain
   * is refused (too few points, or `tiny_scale`: the previous model then stays live, its stream carrying on), the simulation
   * runs again in line.
   */
  readonly trainIn?: { readonly recipe: string; readonly seed?: number; readonly workers: number };
}

export interface RetrainRecord {
  /** 0 = the initial training. */
  readonly index: number;
  readonly reason: 'initial' | 'schedule' | 'drift';
  /** The model is live from this time on (the first point it scores). */
  readonly liveFrom: number;
  /** Training slice [from, to): first and last timestamp, point count. */
  readonly trainFrom: number;
  readonly trainTo: number;
  readonly rows: number;
  /** Training time in ms. */
  readonly ms: number;
  readonly runId?: string;
  readonly modelVersion?: number;
}

export interface SimulationResult {
  /** Calibrated scores of the scored part (from `initialTrainEnd` on), as the live models gave them. */
  readonly scores: TimeSeries;
  /** Post-rule scores (non-zero = alarm). */
  readonly alarmScores: TimeSeries;
  readonly alarms: AlarmEvent[];
  readonly retrains: RetrainRecord[];
  /** Retrains skipped because the detector refused the window (too few points, or ETS's `tiny_scale`). */
  readonly skippedRetrains: number;
  /** Drift checks of the input values (when `retrainOn: 'drift'`). */
  readonly driftChecks: DriftCheck[];
  /** Metrics against `labels` (revised point-adjusted, MTTD, NAB-style), if labels were given. */
  readonly report?: TsadReport;
  readonly wallMs: number;
  readonly parentRunId?: string;
}

interface ParsedWindow {
  readonly kind: 'expanding' | 'sliding';
  readonly lengthMs: number;
}

export function parseTrainWindow(w: TrainWindow | undefined): ParsedWindow {
  if (w === undefined || w === 'expanding') return { kind: 'expanding', lengthMs: Number.POSITIVE_INFINITY };
  if (typeof w === 'string') {
    if (w.startsWith('sliding:')) {
      return { kind: 'sliding', lengthMs: parseDuration(w.slice(8), 'trainWindow') };
    }
  } else if (w && typeof w === 'object') {
    if (w.kind === 'expanding') return { kind: 'expanding', lengthMs: Number.POSITIVE_INFINITY };
    if (w.kind === 'sliding')
      return { kind: 'sliding', lengthMs: parseDuration(w.length, 'trainWindow.length') };
  }
  throw new LifecycleError(
    'bad_option',
    `trainWindow: expected 'expanding', 'sliding:<duration>' (e.g. 'sliding:7d') or { kind, length }, got ${JSON.stringify(w)}`,
  );
}

/**
 * The schedule options of `simulate()` checked and parsed (the training window, the retrain interval,
 * `retrainOn`): a `LifecycleError` `bad_option` naming the option. `simulate()` calls it first; the
 * command line calls it before it reads any data, so a typo is named before a download.
 * @internal
 */
export function parseSimulateSchedule(
  opts: Pick<SimulateOptions, 'trainWindow' | 'retrainEvery' | 'retrainOn'>,
): { window: ParsedWindow; every: number } {
  const window = parseTrainWindow(opts.trainWindow);
  const every =
    opts.retrainEvery === undefined || opts.retrainEvery === 'never'
      ? Number.POSITIVE_INFINITY
      : parseDuration(opts.retrainEvery, 'retrainEvery');
  if (opts.retrainOn !== undefined && opts.retrainOn !== 'drift') {
    throw new LifecycleError(
      'bad_option',
      `retrainOn: only 'drift' is supported, got ${JSON.stringify(opts.retrainOn)}`,
    );
  }
  return { window, every };
}

function describeWindow(w: ParsedWindow): string {
  return w.kind === 'expanding' ? 'expanding' : `sliding:${w.lengthMs / 3_600_000}h`;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function slice(ts: TimeSeries, i: number, j: number): TimeSeries {
  return { t: ts.t.subarray(i, j), v: ts.v.subarray(i, j) };
}

/**
 * The jobs' replies in job order, or null when a retrain was refused (too few points, no scale: the caller then runs the
 * simulation in line, where the previous model stays live). Other failures throw.
 */
async function runOnWorkers(
  jobs: readonly TrainJob[],
  workers: number,
): Promise<Extract<TrainReply, { ok: true }>[] | null> {
  const { runTrainJob } = await import('./train-job.js'); // the recipes, loaded when needed
  const pool = startTrainPool(jobs, workers);
  try {
    // the calling thread trains too: while jobs are left that no worker has started, it runs one (from
    // the end of the schedule), then lets the event loop hand the workers their replies and next jobs
    const local = new Map<number, TrainReply>();
    for (let job = pool.take(); job; job = pool.take()) {
      local.set(job.id, runTrainJob(job));
      await new Promise((res) => setImmediate(res));
    }
    const out: Extract<TrainReply, { ok: true }>[] = [];
    for (const job of jobs) {
      const r = local.get(job.id) ?? (await pool.result(job.id));
      if (!r.ok) {
        if (isTrainRefusalCode(r.code)) return null;
        const what = job.id === 0 ? 'the initial training' : `retrain ${job.id}`;
        const where = local.has(job.id) ? '' : ' in a worker';
        throw new LifecycleError('worker_failed', `${what} failed${where}: ${r.message}`);
      }
      out.push(r);
    }
    return out;
  } finally {
    await pool.close();
  }
}

/** The first place two JSON values differ (`config.a.b: 1 vs 2`), or undefined when they are equal. */
function firstDifference(a: unknown, b: unknown, at: string): string | undefined {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        `${at}.${k}`,
      );
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

/**
 * `trainIn` trains its recipe on the workers (and on this thread) instead of calling the factory, so
 * the two must build the same detector: one untrained detector of each is compared (type and config)
 * before anything is trained.
 */
async function checkRecipeMatches(factory: () => Detector, recipe: string, seed: number): Promise<void> {
  const { makeDetector: fromRecipe } = await import('../lab/recipes.js');
  const mine = factory();
  const theirs = fromRecipe(recipe, { seed });
  const diff =
    mine.type !== theirs.type
      ? `the factory builds a detector of type ${mine.type}, but trainIn's recipe "${recipe}" (seed ${seed}) builds one of type ${theirs.type}`
      : firstDifference(mine.config, theirs.config, 'config');
  if (diff === undefined) return;
  throw new LifecycleError(
    'bad_option',
    `trainIn trains its recipe on worker threads instead of calling the factory, and they differ: ${
      mine.type !== theirs.type
        ? diff
        : `the configs of the factory's ${mine.type} and of trainIn's recipe "${recipe}" (seed ${seed}) differ at ${diff}`
    }; pass the recipe and seed the factory builds, or leave trainIn out to train the factory's detectors in line`,
  );
}

/**
 * A live deployment replayed on a series: the first detector from `makeDetector` trains on every point
 * before `opts.initialTrainEnd`, every later point is scored by the live model's stream, and with
 * `retrainEvery` (or `retrainOn: 'drift'`) a new detector from the factory trains on the points strictly
 * before each retrain time (`trainWindow`: all of them, or a sliding window) and takes over from there:
 * no look-ahead. Returns the scores, alarms, the retrains (and those skipped because the detector refused
 * the window), the drift checks and, with `labels`, the metric report. Bad options are `LifecycleError`
 * `bad_option` before anything is trained. `series` must be a valid TimeSeries (finite, strictly
 * increasing times). Guide: docs/lifecycle.md.
 */
export async function simulate(
  makeDetector: () => Detector,
  series: TimeSeries,
  opts: SimulateOptions,
): Promise<SimulationResult> {
  const start = performance.now();
  const split = parseTime(opts.initialTrainEnd);
  if (!Number.isFinite(split)) {
    throw new LifecycleError(
      'bad_option',
      `initialTrainEnd: not a time: ${JSON.stringify(opts.initialTrainEnd)}`,
    );
  }
  const { window, every } = parseSimulateSchedule(opts);
  const labels = opts.labels === undefined ? undefined : checkLabelWindows(opts.labels, 'labels', badLabels);
  const { t, v } = series;
  const n = t.length;
  const k0 = lowerBound(t, split);
  // each names the series' range, so the fix is in the message (walk48: it named only the time given)
  const range = n > 0 ? `: the series runs from ${iso(t[0])} to ${iso(t[n - 1])}` : '';
  if (k0 === 0) {
    throw new LifecycleError(
      'bad_option',
      `initialTrainEnd ${iso(split)} leaves no training data${range}; give a time after its first point`,
    );
  }
  if (k0 === n) {
    throw new LifecycleError(
      'bad_option',
      `initialTrainEnd ${iso(split)} leaves nothing to score${range}; give a time up to its last point`,
    );
  }

  // The scheduled retrain points and their training slices, known before anything is scored.
  const schedule: { k: number; from: number }[] = [];
  if (Number.isFinite(every)) {
    let next = t[k0] + every;
    for (let k = k0; k < n; k++) {
      if (t[k] >= next) {
        schedule.push({ k, from: window.kind === 'sliding' ? lowerBound(t, t[k] - window.lengthMs) : 0 });
        while (next <= t[k]) next += every;
      }
    }
  }
  // The models of the schedule (the initial one first): [from, k) trains, [k, next k) is live.
  const models = [{ k: k0, from: 0 }, ...schedule];
  let pooled: Extract<TrainReply, { ok: true }>[] | null = null;
  if (opts.trainIn && opts.retrainOn !== 'drift' && schedule.length > 0) {
    const { recipe, seed = 0, workers } = opts.trainIn;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new LifecycleError('bad_option', `trainIn.workers must be an integer ≥ 1, got ${workers}`);
    }
    await checkRecipeMatches(makeDetector, recipe, seed);
    pooled = await runOnWorkers(
      models.map((s, id): TrainJob => {
        const end = id + 1 < models.length ? models[id + 1].k : n;
        return {
          id,
          recipe,
          seed,
          t: t.slice(s.from, end),
          v: v.slice(s.from, end),
          split: s.k - s.from,
          wantJson: opts.tracking !== undefined,
        };
      }),
      workers,
    );
  }

  const tr = opts.tracking;
  const modelName = tr ? (tr.modelName ?? tr.experiment) : '';
  let parent: Run | undefined;
  if (tr) {
    parent = await tr.tracker.startRun({ experiment: tr.experiment, name: tr.runName ?? 'simulate' });
    await parent.logParams({
      initial_train_end: iso(split),
      train_window: describeWindow(window),
      retrain_every: opts.retrainEvery === undefined ? 'never' : String(opts.retrainEvery),
      retrain_on: opts.retrainOn ?? 'schedule',
      series: tr.seriesName ?? 'series',
    });
  }

  try {
    const m = n - k0;
    const sv = new Float64Array(m);
    const av = new Float64Array(m);
    const alarms: AlarmEvent[] = [];
    const retrains: RetrainRecord[] = [];
    const driftChecks: DriftCheck[] = [];
    let skipped = 0;

    const trainOn = async (
      i: number,
      j: number,
      reason: RetrainRecord['reason'],
    ): Promise<{ det: Detector; rec: RetrainRecord } | null> => {
      const det = makeDetector();
      const t0 = performance.now();
      try {
        det.train(slice(series, i, j));
      } catch (err) {
        if (reason !== 'initial' && isTrainRefusalCode((err as { code?: unknown } | null)?.code)) return null;
        throw err;
      }
      const ms = performance.now() - t0;
      return { det, rec: await record(i, j, reason, ms, det) };
    };

    /** Records a trained model (and tracks it as a child run). */
    const record = async (
      i: number,
      j: number,
      reason: RetrainRecord['reason'],
      ms: number,
      det: LoggableModel,
    ): Promise<RetrainRecord> => {
      const data = slice(series, i, j);
      const index = retrains.length;
      let runId: string | undefined;
      let modelVersion: number | undefined;
      if (tr && parent) {
        const parentId = parent.id;
        const trained = det.toJSON();
        const name = tr.seriesName ?? 'series';
        [runId, modelVersion] = await tr.tracker.run(
          {
            experiment: tr.experiment,
            name: `${tr.runName ?? 'simulate'}-train-${index}`,
            tags: { 'mlflow.parentRunId': parentId, 'tsad.retrain.reason': reason },
          },
          async (run) => {
            await run.logParams({
              retrain_index: index,
              reason,
              live_from: j < n ? iso(t[j]) : 'end',
              train_from: iso(t[i]),
              train_to: iso(t[j - 1]),
              train_window: describeWindow(window),
            });
            await run.logMetrics({ train_rows: j - i, train_ms: ms });
            await run.logDataset(data, {
              name: `${name}[${iso(t[i])},${iso(t[j - 1])}]`,
              context: 'training',
              ...(tr.source ? { source: tr.source } : {}),
            });
            await run.logModel({ type: det.type, config: det.config, toJSON: () => trained });
            const mv = await tr.tracker.registerModel(modelName, run.id);
            await run.setTag('tsad.model_version', String(mv.version));
            return [run.id, mv.version] as const;
          },
        );
      }
      const rec: RetrainRecord = {
        index,
        reason,
        liveFrom: j < n ? t[j] : Number.NaN,
        trainFrom: t[i],
        trainTo: t[j - 1],
        rows: j - i,
        ms,
        ...(runId ? { runId, modelVersion } : {}),
      };
      retrains.push(rec);
      return rec;
    };

    if (pooled) {
      // every model came back from a worker with the scores of its live period
      for (const [id, r] of pooled.entries()) {
        const { k, from } = models[id];
        const json = r.json;
        await record(from, k, id === 0 ? 'initial' : 'schedule', r.ms, {
          type: r.type,
          config: r.config as object,
          toJSON: () => json,
        });
        sv.set(r.scores, k - k0);
        for (let x = 0; x < r.scores.length; x++) {
          if (r.alarms[x] === 1) {
            av[k - k0 + x] = r.scores[x];
            alarms.push({ t: t[k + x], score: r.scores[x] });
          }
        }
      }
    }

    // Merlion: the first model sees all the initial training data; the window applies to retrains.
    const first = pooled ? null : await trainOn(0, k0, 'initial');
    if (!first && !pooled) throw new LifecycleError('bad_option', 'the initial training failed');
    let st = first?.det.stream();
    const monitorFor = (i: number, j: number): Monitor | null =>
      opts.retrainOn === 'drift'
        ? new Monitor({
            ...(opts.monitor ?? {}),
            reference: { value: v.subarray(i, j) },
            series: tr?.seriesName,
          })
        : null;
    let monitor = monitorFor(0, k0);
    let nextJob = 0;
    let driftPending = false;

    for (let k = pooled ? n : k0; k < n && st; k++) {
      const tk = t[k];
      const scheduled = nextJob < schedule.length && schedule[nextJob].k === k;
      if (scheduled || driftPending) {
        const from = window.kind === 'sliding' ? lowerBound(t, tk - window.lengthMs) : 0;
        const next = await trainOn(from, k, scheduled ? 'schedule' : 'drift');
        if (next) {
          st = next.det.stream();
          monitor = monitorFor(from, k);
        } else skipped++;
        if (scheduled) nextJob++;
        driftPending = false;
      }
      const r = st.push(tk, v[k]);
      const o = k - k0;
      sv[o] = r.score;
      if (r.alarm) {
        av[o] = r.score;
        alarms.push({ t: tk, score: r.score });
      }
      if (monitor) {
        const c = monitor.push(tk, v[k]);
        if (c) {
          driftChecks.push(c);
          if (parent)
            await parent.logMetrics(monitorMetrics(c), {
              step: driftChecks.length - 1,
              timestamp: Date.now(),
            });
          if (c.drift) driftPending = true;
        }
      }
    }

    const tTest = t.subarray(k0);
    let report: TsadReport | undefined;
    if (labels) {
      const truth = labels.filter(([, end]) => end >= split);
      report = evaluate({ t, truth, tPred: tTest, pred: av });
    }
    const wallMs = performance.now() - start;
    if (parent) {
      const metrics: Record<string, number> = {
        alarms: alarms.length,
        retrains: retrains.length - 1,
        skipped_retrains: skipped,
        wall_ms: wallMs,
      };
      if (report) {
        Object.assign(metrics, {
          precision: report.precision,
          recall: report.recall,
          f1: report.f1,
          // no mttd metric when nothing was detected (the report's 0 would read as instant)
          ...(report.recall > 0 ? { mttd: report.meanTimeToDetectSec } : {}),
          nab_standard: report.nab.standard,
        });
      }
      await parent.logMetrics(metrics);
      await parent.setTag('tsad.model_versions', retrains.map((r) => r.modelVersion ?? '').join(','));
      await parent.end('FINISHED');
    }
    return {
      scores: { t: tTest, v: sv },
      alarmScores: { t: tTest, v: av },
      alarms,
      retrains,
      skippedRetrains: skipped,
      driftChecks,
      ...(report ? { report } : {}),
      wallMs,
      ...(parent ? { parentRunId: parent.id } : {}),
    };
  } catch (err) {
    if (parent && parent.status === 'RUNNING') {
      await parent.setTag('tsad.error', String((err as Error)?.message ?? err).slice(0, 500)).catch(() => {});
      await parent.end('FAILED').catch(() => {});
    }
    throw err;
  }
}

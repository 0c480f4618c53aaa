/**
 * `npm run nab -- --retrain <plans>`: the machine-temperature experiment as a live deployment, with
 * the model retrained on a schedule (or on drift), compared with training once.
 *
 * A plan is `<every>:<window>`: `every` is `never`, a duration (`7d`, `1d`) or `drift`; `window` is
 * `expanding` or `sliding:<duration>`. `once` = `never:expanding`; `all` = the README table.
 */

import { assertRecipe, makeDetector } from '../../lab/recipes.js';
import { LifecycleError } from '../../lifecycle/errors.js';
import { parseSimulateSchedule, simulate, type TrainWindow } from '../../lifecycle/simulate.js';
import { openTracker } from '../../tracking/open.js';
import { interruptibleTracker } from '../interrupt.js';
import { EXPERIMENT_NAME, formatDuration, SPLIT_TIME, TEST_WINDOWS } from './machine-temperature.js';
import { loadMachineTemperature } from './machine-temperature-data.js';

export const RETRAIN_PLANS_ALL = [
  'once',
  '7d:expanding',
  '7d:sliding:14d',
  '1d:expanding',
  '1d:sliding:14d',
] as const;

export interface RetrainPlan {
  readonly label: string;
  readonly retrainEvery: string;
  readonly retrainOn?: 'drift';
  readonly trainWindow: TrainWindow;
}

export function parseRetrainPlan(s: string): RetrainPlan {
  const p = s.trim();
  if (p === 'once') return { label: 'once', retrainEvery: 'never', trainWindow: 'expanding' };
  const i = p.indexOf(':');
  const every = i < 0 ? p : p.slice(0, i);
  const window = i < 0 ? 'expanding' : p.slice(i + 1);
  if (window !== 'expanding' && !window.startsWith('sliding:')) {
    throw new LifecycleError(
      'bad_option',
      `retrain plan "${s}": the window must be 'expanding' or 'sliding:<duration>' (e.g. 1d:sliding:14d)`,
    );
  }
  const trainWindow = window as TrainWindow;
  const plan: RetrainPlan =
    every === 'drift'
      ? { label: p, retrainEvery: 'never', retrainOn: 'drift', trainWindow }
      : { label: p, retrainEvery: every, trainWindow };
  try {
    // simulate()'s own check of the interval and the window, here before any data is read
    parseSimulateSchedule(plan);
  } catch (err) {
    if (!(err instanceof LifecycleError)) throw err;
    throw new LifecycleError(
      'bad_option',
      `retrain plan "${s}": ${err.message}; a plan is <every>:<window> (once, 7d:expanding, 1d:sliding:14d, drift:expanding) or all`,
      { cause: err },
    );
  }
  return plan;
}

export interface RetrainRow {
  readonly plan: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** `null` when nothing was detected. */
  readonly mttdSec: number | null;
  readonly alarms: number;
  readonly retrains: number;
  readonly wallMs: number;
  readonly parentRunId?: string;
}

export interface RetrainOptions {
  readonly plans: readonly string[];
  readonly detector?: string;
  readonly seed?: number;
  /** PostgreSQL source (`--data`), as for the plain experiment. */
  readonly data?: string;
  /** Tracking URI, or false (default false: the comparison table is about the simulation itself). */
  readonly trackingUri?: string | false;
  /** Worker threads training scheduled retrains ahead (default 0 = train in line). */
  readonly workers?: number;
}

/** Runs each plan on the machine-temperature series; one row per plan. */
export async function runMachineTemperatureRetrain(opts: RetrainOptions): Promise<RetrainRow[]> {
  const plans = opts.plans.flatMap((p) => (p === 'all' ? [...RETRAIN_PLANS_ALL] : [p])).map(parseRetrainPlan);
  const recipe = opts.detector ?? 'default';
  assertRecipe(recipe); // with the plans, checked before the series is loaded (or downloaded)
  const seed = opts.seed ?? 0;
  const { full, sql } = await loadMachineTemperature(opts.data);
  const tracker =
    opts.trackingUri === undefined || opts.trackingUri === false
      ? null
      : interruptibleTracker(openTracker(opts.trackingUri));
  const rows: RetrainRow[] = [];
  try {
    for (const plan of plans) {
      const r = await simulate(() => makeDetector(recipe, { seed }), full, {
        initialTrainEnd: SPLIT_TIME,
        retrainEvery: plan.retrainEvery,
        trainWindow: plan.trainWindow,
        ...(plan.retrainOn ? { retrainOn: plan.retrainOn } : {}),
        labels: TEST_WINDOWS,
        ...((opts.workers ?? 0) > 0 ? { trainIn: { recipe, seed, workers: opts.workers ?? 0 } } : {}),
        ...(tracker
          ? {
              tracking: {
                tracker,
                experiment: `${EXPERIMENT_NAME}-simulate`,
                modelName: `${EXPERIMENT_NAME}-simulate`,
                runName: `${recipe}-${plan.label}`,
                seriesName: sql ? sql.table : 'machine_temperature_system_failure',
                ...(sql ? { source: sql.uri } : {}),
              },
            }
          : {}),
      });
      const rep = r.report;
      if (!rep) throw new LifecycleError('bad_option', 'the simulation produced no report');
      rows.push({
        plan: plan.label,
        precision: rep.precision,
        recall: rep.recall,
        f1: rep.f1,
        mttdSec: rep.recall > 0 ? rep.meanTimeToDetectSec : null,
        alarms: r.alarms.length,
        retrains: r.retrains.length - 1,
        wallMs: r.wallMs,
        ...(r.parentRunId ? { parentRunId: r.parentRunId } : {}),
      });
    }
  } finally {
    await tracker?.close();
  }
  return rows;
}

/** The rows as a Markdown table (the README's). */
export function formatRetrainTable(rows: readonly RetrainRow[]): string {
  const L = [
    '| plan | precision | recall | F1 | MTTD | alarms | retrains | wall time |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    L.push(
      `| ${r.plan} | ${r.precision.toFixed(4)} | ${r.recall.toFixed(4)} | ${r.f1.toFixed(4)} | ${r.mttdSec === null ? '—' : formatDuration(r.mttdSec)} | ${r.alarms} | ${r.retrains} | ${(r.wallMs / 1000).toFixed(1)} s |`,
    );
  }
  return L.join('\n');
}

/**
 * Champion and challenger on the model registry — the one implementation behind the library's
 * `promote()` / `rollback()` and the CLI's `tsad models promote|rollback`.
 *
 * `promote()` scores the current champion (the version behind the alias, default `champion`) and a
 * challenger version on a labelled holdout slice and moves the alias to the challenger only when it
 * beats the champion by `margin` on `metric` (`force: true` moves it without a comparison, as an
 * operator's manual promotion). The outcome is written on the challenger's model version as tags
 * (`tsad.promotion.decision`, `tsad.promotion.reason`, and for a promotion
 * `tsad.promotion.previous.<alias>`: the version the alias pointed at before), so a rejected
 * challenger stays in the registry as a version carrying its reason. Every decision is also a tracked
 * run (experiment `<model>-promotion` by default): the history, with both models' holdout metrics.
 * `rollback()` moves the alias back to the `previous` version recorded on the current champion.
 */

import type { EnsembleMetric } from '../detectors/ensemble-config.js';
import { loadModel } from '../detectors/registry.js';
import { TrackingError } from '../errors.js';
import { evaluate, reportMetric, type TsadReport } from '../metrics/index.js';
import { checkLabelWindows } from '../series/label-windows.js';
import type { TimeSeries, Window } from '../series/types.js';
import { PREVIOUS_VERSION_TAG_PREFIX } from '../tracking/export.js';
import { type RunRecord, type Tracker, TrackingNotFoundError } from '../tracking/tracker.js';
import { validateAlias } from '../tracking/validate.js';
import { badLabels, LifecycleError } from './errors.js';

/** Holdout metrics: higher is better except `mttd` (mean time to detect, seconds). */
export type PromotionMetric = 'f1' | 'precision' | 'recall' | 'nab' | 'mttd';
const METRICS: readonly PromotionMetric[] = ['f1', 'precision', 'recall', 'nab', 'mttd'];

export const PROMOTION_TAGS = {
  model: 'tsad.promotion.model',
  version: 'tsad.promotion.version',
  decision: 'tsad.promotion.decision',
  reason: 'tsad.promotion.reason',
  previous: 'tsad.promotion.previous',
  alias: 'tsad.promotion.alias',
} as const;

/** Tags written on model versions (the registry's own record of each decision). */
export const VERSION_TAGS = {
  decision: 'tsad.promotion.decision',
  reason: 'tsad.promotion.reason',
  /** `tsad.promotion.previous.<alias>`: what the alias pointed at before this version took it. */
  previous: (alias: string) => `${PREVIOUS_VERSION_TAG_PREFIX}${alias}`,
} as const;

export interface Holdout {
  /** The holdout series (after every model's training data). */
  readonly series: TimeSeries;
  /** Anomaly windows on it (inclusive, epoch ms). */
  readonly labels: readonly Window[];
  /** Data just before the holdout, as context for transforms. */
  readonly prev?: TimeSeries;
}

export interface PromoteOptions {
  readonly tracker: Tracker;
  /** Registered model name. */
  readonly name: string;
  /** The challenger's version number. */
  readonly challenger: number;
  /** Labelled data to compare on; required unless `force`. */
  readonly holdout?: Holdout;
  /** Move the alias without comparing (a manual promotion; the reason says so). */
  readonly force?: boolean;
  /** Default `f1`. */
  readonly metric?: PromotionMetric;
  /** The challenger must beat the champion by more than this (default 0). */
  readonly margin?: number;
  /** Default `champion`. */
  readonly alias?: string;
  /** Experiment of the decision runs (default `<name>-promotion`). */
  readonly experiment?: string;
}

export interface PromotionDecision {
  readonly decision: 'promoted' | 'rejected';
  readonly reason: string;
  readonly challenger: number;
  /** The champion before the decision (null when there was none). */
  readonly previousChampion: number | null;
  /** The alias target after the decision. */
  readonly champion: number;
  readonly challengerScore: number;
  readonly championScore: number | null;
  readonly runId: string;
}

/** The report figure each promotion metric reads (`reportMetric` names). */
const REPORT_METRIC: Readonly<Record<PromotionMetric, EnsembleMetric>> = {
  f1: 'f1',
  precision: 'precision',
  recall: 'recall',
  nab: 'nabScore',
  mttd: 'meanTimeToDetect',
};

function metricOf(r: TsadReport, m: PromotionMetric): number {
  return reportMetric(r, REPORT_METRIC[m]);
}

async function holdoutScore(
  tracker: Tracker,
  uri: string,
  h: Holdout,
  metric: PromotionMetric,
): Promise<number> {
  const model = loadModel(await tracker.loadModelJson(uri));
  const { scores } = model.detect(h.series, h.prev ? { prev: h.prev } : {});
  const report = evaluate({ t: h.series.t, truth: h.labels, pred: scores.v });
  return metricOf(report, metric);
}

/**
 * Points `alias` of `name` at `version` as a manual promotion records it, without a decision run: the
 * version first gets `tsad.promotion.previous.<alias>` (the version the alias pointed at, '' for
 * none), so `rollback()` can move the alias back; the move is a compare-and-set, read again when
 * another process moved the alias meanwhile (up to 5 times; on an MLflow server the check and the move
 * are two requests, so moves sent in the same instant can both pass: `Tracker.setAlias`). For `tsad train --register NAME --alias A`. Returns the
 * version the alias pointed at before (null for none).
 */
export async function pointAlias(
  tracker: Tracker,
  name: string,
  alias: string,
  version: number,
): Promise<number | null> {
  for (let attempt = 1; ; attempt++) {
    const before = await currentChampion(tracker, name, alias);
    if (before === version) return before;
    await tracker.setModelVersionTag(
      name,
      version,
      VERSION_TAGS.previous(alias),
      before === null ? '' : String(before),
    );
    try {
      await tracker.setAlias(name, alias, version, { expected: before });
      return before;
    } catch (err) {
      if (!(err instanceof TrackingError) || err.code !== 'alias_moved' || attempt >= 5) throw err;
    }
  }
}

async function currentChampion(tracker: Tracker, name: string, alias: string): Promise<number | null> {
  // Read from the model list rather than getModelVersion(name, alias): backends differ in which error
  // a missing alias raises (MLflow answers INVALID_PARAMETER_VALUE), and a missing alias is not an error here.
  const model = (await tracker.listRegisteredModels()).find((m) => m.name === name);
  const v = model?.aliases[alias];
  return v === undefined ? null : v;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 1e6) / 1e6) : String(x);
}

/** Champion/challenger decision on the holdout; moves the alias only for a better challenger. */
export async function promote(opts: PromoteOptions): Promise<PromotionDecision> {
  const { tracker, name, challenger, holdout } = opts;
  const metric = opts.metric ?? 'f1';
  const margin = opts.margin ?? 0;
  // a reserved or malformed alias (`latest`) is refused before any registry lookup
  const alias = validateAlias(opts.alias ?? 'champion', true);
  if (!METRICS.includes(metric)) {
    throw new LifecycleError(
      'bad_option',
      `metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}`,
    );
  }
  if (!Number.isFinite(margin) || margin < 0) {
    throw new LifecycleError('bad_option', `margin must be a finite number ≥ 0, got ${margin}`);
  }
  if (!opts.force && !holdout) {
    throw new LifecycleError(
      'bad_option',
      'promote needs a holdout (a labelled slice to compare the challenger with the champion on), or force: true to move the alias without comparing',
    );
  }
  // the same label check as simulate's: a bad window is refused by its index before any model is scored
  if (holdout) checkLabelWindows(holdout.labels, 'holdout.labels', badLabels);
  if (holdout && (holdout.series.t.length === 0 || holdout.labels.length === 0)) {
    throw new LifecycleError(
      'bad_option',
      'holdout needs a non-empty series and at least one labelled anomaly window to compare models on',
    );
  }
  await tracker.getModelVersion(name, challenger); // a missing version fails before anything is written
  const champion = await currentChampion(tracker, name, alias);
  const challengerScore = holdout
    ? await holdoutScore(tracker, `models:/${name}/${challenger}`, holdout, metric)
    : Number.NaN;
  let championScore: number | null = null;
  let decision: 'promoted' | 'rejected';
  let reason: string;
  /** Where the alias is after this call (moved by another promotion meanwhile: there). */
  let after = champion;
  const lowerIsBetter = metric === 'mttd';
  if (champion === challenger) {
    decision = 'rejected';
    reason = `version ${challenger} is already ${alias}`;
    championScore = challengerScore;
  } else if (!holdout) {
    decision = 'promoted';
    reason = `forced: version ${challenger} becomes ${alias} without a holdout comparison (was ${champion === null ? 'unset' : `v${champion}`})`;
  } else if (champion === null) {
    decision = 'promoted';
    reason = `no ${alias} yet: version ${challenger} becomes ${alias} (holdout ${metric} ${fmt(challengerScore)})`;
  } else {
    championScore = await holdoutScore(tracker, `models:/${name}/${champion}`, holdout, metric);
    const better = lowerIsBetter
      ? challengerScore < championScore - margin
      : challengerScore > championScore + margin;
    decision = better ? 'promoted' : 'rejected';
    const cmp = `holdout ${metric} ${fmt(challengerScore)} vs ${alias} v${champion} ${fmt(championScore)}, margin ${fmt(margin)}`;
    reason = better
      ? `better than ${alias}: ${cmp}`
      : Number.isNaN(challengerScore)
        ? `holdout ${metric} is NaN`
        : `not better than ${alias} by the margin: ${cmp}`;
  }
  if (champion !== challenger) {
    // the version's own record first: a crash after it leaves a tagged version, never a moved alias
    // that rollback could not undo
    if (decision === 'promoted') {
      await tracker.setModelVersionTag(
        name,
        challenger,
        VERSION_TAGS.previous(alias),
        champion === null ? '' : String(champion),
      );
    }
    await tracker.setModelVersionTag(name, challenger, VERSION_TAGS.decision, decision);
    await tracker.setModelVersionTag(name, challenger, VERSION_TAGS.reason, reason);
    if (decision === 'promoted') {
      // only if the alias is still where the comparison found it: a promotion that ran meanwhile
      // (another process, another challenger) is never silently replaced by one that never saw it
      try {
        await tracker.setAlias(name, alias, challenger, { expected: champion });
      } catch (err) {
        if (!(err instanceof TrackingError) || err.code !== 'alias_moved') throw err;
        const now = await currentChampion(tracker, name, alias);
        after = now;
        decision = 'rejected';
        reason = `${alias} moved to ${now === null ? 'nothing' : `version ${now}`} while this promotion compared version ${challenger} with ${champion === null ? `no ${alias}` : `version ${champion}`}; run promote again to compare with the new ${alias}`;
        await tracker.setModelVersionTag(name, challenger, VERSION_TAGS.decision, decision);
        await tracker.setModelVersionTag(name, challenger, VERSION_TAGS.reason, reason);
      }
    }
  }
  const runId = await recordDecision(tracker, opts.experiment ?? `${name}-promotion`, {
    name,
    alias,
    version: challenger,
    decision,
    reason,
    previous: champion,
    metrics: holdout
      ? {
          [`challenger_${metric}`]: challengerScore,
          ...(championScore === null ? {} : { [`champion_${metric}`]: championScore }),
        }
      : {},
  });
  return {
    decision,
    reason,
    challenger,
    previousChampion: champion,
    champion: decision === 'promoted' ? challenger : (after as number),
    challengerScore,
    championScore,
    runId,
  };
}

async function recordDecision(
  tracker: Tracker,
  experiment: string,
  d: {
    name: string;
    alias: string;
    version: number;
    decision: string;
    reason: string;
    previous: number | null;
    metrics: Record<string, number>;
  },
): Promise<string> {
  return tracker.run(
    {
      experiment,
      name: `${d.decision}-v${d.version}`,
      tags: {
        [PROMOTION_TAGS.model]: d.name,
        [PROMOTION_TAGS.alias]: d.alias,
        [PROMOTION_TAGS.version]: String(d.version),
        [PROMOTION_TAGS.decision]: d.decision,
        [PROMOTION_TAGS.reason]: d.reason,
        [PROMOTION_TAGS.previous]: d.previous === null ? '' : String(d.previous),
      },
    },
    async (run) => {
      if (Object.keys(d.metrics).length > 0) await run.logMetrics(d.metrics);
      return run.id;
    },
  );
}

/** Every promotion decision recorded for `name` (newest first). */
export async function promotionHistory(
  tracker: Tracker,
  name: string,
  opts: { experiment?: string } = {},
): Promise<RunRecord[]> {
  const experiment = opts.experiment ?? `${name}-promotion`;
  if (!(await tracker.getExperiment(experiment))) return [];
  const runs = await tracker.searchRuns({ experiment, orderBy: 'attributes.start_time DESC' });
  return runs.filter((r) => r.data.tags[PROMOTION_TAGS.model] === name);
}

/**
 * Moves the alias back to the version it pointed at before the current one took it (the
 * `tsad.promotion.previous.<alias>` tag of the current version); the current version is tagged
 * `rolled_back`, and a `rollback` decision run is recorded. Rolling back again goes one step further
 * back. Throws TrackingNotFoundError (`not_found`) when no model `name` is registered, LifecycleError
 * `no_champion` when it has no such alias, `no_previous` when the current version replaced nothing.
 */
export async function rollback(
  tracker: Tracker,
  name: string,
  opts: { alias?: string; experiment?: string } = {},
): Promise<{ from: number; to: number; runId: string }> {
  const alias = opts.alias ?? 'champion';
  const model = (await tracker.listRegisteredModels()).find((m) => m.name === name);
  if (!model) {
    throw new TrackingNotFoundError(
      `no registered model named "${name}"; nothing was rolled back: check the name and the tracking store (tsad models list --uri URI lists the models it holds)`,
    );
  }
  const current = model.aliases[alias] ?? null;
  if (current === null) {
    throw new LifecycleError('no_champion', `model "${name}" has no "${alias}" alias to roll back`);
  }
  const prev = (await tracker.getModelVersionTags(name, current))[VERSION_TAGS.previous(alias)];
  if (prev === undefined) {
    throw new LifecycleError(
      'no_previous',
      `"${alias}" of "${name}" is version ${current}, which carries no record of the version it replaced (the alias was moved by setAlias, not by promote(), tsad models promote or tsad train --alias): nothing to roll back to; point it at the version you want with tsad models promote ${name} VERSION --alias ${alias}`,
    );
  }
  if (!prev) {
    throw new LifecycleError(
      'no_previous',
      `"${alias}" of "${name}" is version ${current}, which replaced no earlier ${alias}: nothing to roll back to (promote a version instead)`,
    );
  }
  const to = Number(prev);
  const reason = `rolled back: ${alias} moved from version ${current} back to ${to}`;
  // only from the version this rollback read: of two rollbacks at once, the second fails with
  // alias_moved instead of stepping back from a version that is no longer the current one; the alias
  // moves first, so a rollback that fails leaves no `rolled_back` tag on a version still serving
  await tracker.setAlias(name, alias, to, { expected: current });
  await tracker.setModelVersionTag(name, current, VERSION_TAGS.decision, 'rolled_back');
  await tracker.setModelVersionTag(name, current, VERSION_TAGS.reason, reason);
  const runId = await recordDecision(tracker, opts.experiment ?? `${name}-promotion`, {
    name,
    alias,
    version: to,
    decision: 'rollback',
    reason,
    previous: current,
    metrics: {},
  });
  return { from: current, to, runId };
}

/** `tsad detect data.csv --model FILE|models:/NAME@ALIAS`: scores and alarms of a trained model on your data. */
import type { Command } from 'commander';
import type { Detector } from '../detectors/types.js';
import {
  type CsvColumnOptions,
  checkTimeUnit,
  readLabelsCsv,
  readSeriesCsv,
  singlePointLabelWarning,
  timeOption,
  withCsvInput,
} from './data.js';
import { exactJson, formatDuration, formatNumber, progress, table } from './format.js';

export interface DetectCliOptions extends CsvColumnOptions {
  model: string;
  uri?: string;
  after?: string;
  labels?: string;
  json?: boolean;
  csv?: boolean;
  quiet?: boolean;
}

export interface DetectCliResult {
  model: string;
  type: string;
  rows: number;
  alarms: { t: string; score: number }[];
  /**
   * Every scored row: times (epoch ms), values and post-rule scores (non-zero = alarm), as typed
   * arrays; `--json` prints them as `points: [{ t, value, score, alarm }]`, `--csv` as rows, both
   * written in chunks so a large file never becomes one string or one object per row in memory.
   */
  series: { t: Float64Array; value: Float64Array; score: Float64Array };
  /** `meanTimeToDetectSec` is `null` when no labelled anomaly was detected. */
  metrics: {
    precision: number;
    recall: number;
    f1: number;
    meanTimeToDetectSec: number | null;
    /** Labelled anomalies (runs of 1) in the scored rows: with 0, recall and F1 are 0 by definition. */
    anomalies: number;
  } | null;
  warnings: string[];
}

/** Loads a model from a file path or a tracking URI (`models:/name@alias`, `models:/name/3`, `runs:/id/model`). */
export async function loadModelFrom(ref: string, uri: string | undefined): Promise<Detector> {
  await import('../index.js'); // installs the model loader
  if (/^(models|runs):\//.test(ref)) {
    const [{ openTracker }, { loadModel }, { assertStoreExists }] = await Promise.all([
      import('../tracking/open.js'),
      import('../detectors/registry.js'),
      import('./options.js'),
    ]);
    assertStoreExists(uri); // reading a model must not leave an empty store behind (a typo in --uri)
    const tracker = openTracker(uri, { loadModel });
    try {
      return await tracker.loadModel(ref);
    } finally {
      await tracker.close();
    }
  }
  const [{ readFile }, { loadModel }, { ModelFormatError }] = await Promise.all([
    import('node:fs/promises'),
    import('../detectors/registry.js'),
    import('../errors.js'),
  ]);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(ref, 'utf8'));
  } catch (err) {
    throw new ModelFormatError(
      'model_unreadable',
      `cannot read the model file ${ref} (${(err as Error).message}); pass a model JSON written by \`tsad train --out\` or a models:/NAME@ALIAS URI`,
    );
  }
  return loadModel(json as Parameters<typeof loadModel>[0]);
}

export async function detectCommand(path: string, o: DetectCliOptions): Promise<DetectCliResult> {
  if (o.json && o.csv) {
    const { ConfigError } = await import('../errors.js');
    throw new ConfigError('bad_option', '--json and --csv do not go together: pick one output format');
  }
  await checkTimeUnit(o.timeUnit, o.trustTimeUnit);
  const after = o.after !== undefined ? await timeOption('--after', o.after) : undefined;
  const det = await loadModelFrom(o.model, o.uri);
  progress(o.quiet, `loaded ${det.type} from ${o.model}`);
  const { splitAt } = await import('../series/ops.js');
  const all = await readSeriesCsv(path, o);
  const ts = after !== undefined ? splitAt(all, after)[1] : all;
  // the label column is read (a missing column, a cell that is not 0/1 refused) before the scoring,
  // which on a large file takes the longest: a typo in --labels must not cost the whole run first
  const allLabels = o.labels ? await readLabelsCsv(path, o.labels, o, all.t) : undefined;
  // an --after past the last row scores nothing and succeeds (a scheduled run with no new rows)
  progress(o.quiet, `scoring ${ts.t.length} rows`);
  const { scores, alarms } = det.detect(ts);
  const warnings: string[] = [];
  let metrics: DetectCliResult['metrics'] = null;
  if (allLabels) {
    const labels = after !== undefined ? splitAt(allLabels, after)[1] : allLabels;
    const { evaluate, detectedMttdSec } = await import('../metrics/tsad.js');
    const r = evaluate({ t: labels.t, truth: labels.v, tPred: ts.t, pred: scores.v });
    const anomalies = r.counts.tpAnom + r.counts.fnAnom;
    const w =
      anomalies === 0
        ? `the label column "${o.labels}" marks no anomaly in the ${ts.t.length} scored rows: recall and F1 are 0 by definition and every alarm counts as a false positive; check the column (1 = anomaly) and --after`
        : singlePointLabelWarning(labels.v, det.toJSON().config);
    if (w) {
      warnings.push(w);
      process.stderr.write(`tsad: warning: ${w}\n`);
    }
    metrics = {
      precision: r.precision,
      recall: r.recall,
      f1: r.f1,
      meanTimeToDetectSec: detectedMttdSec(r),
      anomalies,
    };
  }
  return {
    model: o.model,
    type: det.type,
    rows: ts.t.length,
    alarms: alarms.map((a) => ({ t: new Date(a.t).toISOString(), score: a.score })),
    series: { t: ts.t, value: ts.v, score: scores.v },
    metrics,
    warnings,
  };
}

export function formatDetect(r: DetectCliResult): string {
  let out = `${r.rows} rows scored by ${r.type} (${r.model}): ${r.alarms.length} alarm${r.alarms.length === 1 ? '' : 's'}\n`;
  if (r.alarms.length > 0) {
    out += table([['TIME', 'SCORE'], ...r.alarms.map((a) => [a.t, formatNumber(a.score)])]);
  }
  if (r.metrics) {
    const m = r.metrics;
    out += `precision ${formatNumber(m.precision)}  recall ${formatNumber(m.recall)}  F1 ${formatNumber(m.f1)}  mean time to detect ${m.meanTimeToDetectSec !== null ? formatDuration(m.meanTimeToDetectSec) : m.anomalies === 0 ? '— (no labelled anomaly)' : '— (nothing detected)'}\n`;
  }
  return out;
}

/** Rows per chunk written to stdout by `--csv` and `--json`. */
const CHUNK = 8192;

/** `--csv`: timestamp,value,score,alarm for every row, in chunks. */
export function* detectCsv(r: DetectCliResult): Generator<string> {
  yield 'timestamp,value,score,alarm\n';
  const { t, value, score } = r.series;
  for (let from = 0; from < t.length; from += CHUNK) {
    let out = '';
    const to = Math.min(t.length, from + CHUNK);
    for (let i = from; i < to; i++) {
      out += `${new Date(t[i]).toISOString()},${value[i]},${score[i]},${score[i] !== 0 ? 1 : 0}\n`;
    }
    yield out;
  }
}

/** `--json`: the result with every row as `points: [{ t, value, score, alarm }]`, in chunks. */
export function* detectJson(r: DetectCliResult): Generator<string> {
  const { series, ...rest } = r;
  const [before, after] = exactJson({ ...rest, points: [] }).split('"points": []');
  yield `${before}"points": [`;
  const num = (x: number) => (Number.isFinite(x) ? String(x) : JSON.stringify(String(x)));
  const { t, value, score } = series;
  for (let from = 0; from < t.length; from += CHUNK) {
    let out = '';
    const to = Math.min(t.length, from + CHUNK);
    for (let i = from; i < to; i++) {
      out += `${i === 0 ? '' : ','}\n    {"t": ${num(t[i])}, "value": ${num(value[i])}, "score": ${num(score[i])}, "alarm": ${score[i] !== 0}}`;
    }
    yield out;
  }
  yield `${t.length > 0 ? '\n  ' : ''}]${after}`;
}

/** Writes chunks to stdout, waiting for it to drain (a slow reader never makes the output pile up). */
async function writeChunks(chunks: Iterable<string>): Promise<void> {
  for (const c of chunks) {
    if (!process.stdout.write(c)) await new Promise((drained) => process.stdout.once('drain', drained));
  }
}

export function registerDetect(program: Command): Command {
  return withCsvInput(
    program
      .command('detect')
      .description(
        'score a CSV file with a trained model: alarms (default), every point (--csv) or everything (--json)',
      ),
  )
    .requiredOption(
      '-m, --model <model>',
      'model file (from tsad train --out) or models:/NAME@ALIAS, models:/NAME/VERSION',
    )
    .option(
      '--uri <uri>',
      'tracking URI for models:/ (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)',
    )
    .option('--after <time>', 'score only rows at or after this time')
    .option('--labels <column>', '0/1 label column: also print precision, recall, F1')
    .option('--json', 'print alarms, every point and metrics as JSON (exact numbers)')
    .option('--csv', 'print timestamp,value,score,alarm for every row')
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (path: string, o: DetectCliOptions) => {
      const r = await detectCommand(path, o);
      if (o.json) await writeChunks(detectJson(r));
      else if (o.csv) await writeChunks(detectCsv(r));
      else process.stdout.write(formatDetect(r));
    });
}

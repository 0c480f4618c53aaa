import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nabFiles, nabPath } from '../../datasets/index.js';
import { ConfigError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { makeDirsSync } from '../../fs-dirs.js';
import { type BenchRow, runBench } from '../../lab/bench.js';
import type { NabFileResult } from '../../lab/nab-corpus-file.js';
import { assertRecipe } from '../../lab/recipes.js';
import type { NabProfileName } from '../../metrics/index.js';
import { classifyUri, defaultTrackingUri, openTracker } from '../../tracking/open.js';
import { corpusProgress } from '../corpus-progress.js';
import { interruptibleTracker } from '../interrupt.js';
import { CORPUS_RECIPE_NAMES } from '../recipes.js';

export interface NabCorpusOptions {
  /** Recipes to run (keys of DETECTOR_RECIPES). Default: `CORPUS_RECIPE_NAMES`. */
  readonly detectors?: readonly string[];
  /** Results root (NAB layout below it). Default `bench/results/nab`. */
  readonly outDir?: string;
  /** Only these corpus files (paths under data/). Default: all 58. */
  readonly files?: readonly string[];
  /** Re-run files whose result file exists. */
  readonly force?: boolean;
  /** Worker threads (default 2, the machine's cores). */
  readonly workers?: number;
  readonly seed?: number;
  /** Tracking URI; `false` disables tracking. */
  readonly trackingUri?: string | false;
  /** Progress bar and notes on stderr (default: when stderr is a TTY, else plain lines). */
  readonly progress?: boolean;
  /** No progress on stderr at all (`tsad nab run -q`). Default false. */
  readonly quiet?: boolean;
  /** Add the floor row of each score mapping run (the same mapping fed zeros). Default true. */
  readonly floor?: boolean;
}

/**
 * One recipe's row: the `tsad bench` row (NAB scores, thresholds, floor and partial flags, per-kind and
 * per-file figures) with `files` = the files run by this call and their timings.
 */
export interface NabCorpusRow extends Omit<BenchRow, 'files' | 'runs'> {
  readonly files: NabFileResult[];
}

export interface NabCorpusReport {
  readonly rows: NabCorpusRow[];
  readonly published: { detector: string; scores: Record<NabProfileName, number> }[];
  readonly wallMs: number;
}

export { NabRunError, runPool } from '../../lab/nab-pool.js';

/** NAB's published scoreboard (`results/final_results.json`). */
export async function publishedScores(): Promise<NabCorpusReport['published']> {
  const raw = JSON.parse(readFileSync(await nabPath('results/final_results.json'), 'utf8')) as Record<
    string,
    Record<NabProfileName, number>
  >;
  return Object.entries(raw)
    .map(([detector, scores]) => ({ detector, scores }))
    .sort((a, b) => b.scores.standard - a.scores.standard);
}

/**
 * The full NAB benchmark: each recipe over every corpus file (streaming, NAB's rules), result files in
 * NAB's layout, scored by the NAB scorer with thresholds optimised per profile, tracked as a run.
 */
export async function runNabCorpus(opts: NabCorpusOptions = {}): Promise<NabCorpusReport> {
  const start = performance.now();
  const detectors = [...(opts.detectors ?? CORPUS_RECIPE_NAMES)];
  for (const d of detectors) assertRecipe(d);
  // a bad tracking URI fails now, not after the whole corpus has run
  if (opts.trackingUri !== false) classifyUri(opts.trackingUri ?? defaultTrackingUri());
  const workers = opts.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new ConfigError('bad_workers', `workers must be an integer ≥ 1, got ${workers}`);
  }
  const outDir = resolve(opts.outDir ?? 'bench/results/nab');
  const files = opts.files ?? nabFiles();
  const seed = opts.seed ?? 0;
  const showBar = opts.progress ?? process.stderr.isTTY;

  const progress = corpusProgress('nab', opts.quiet ? null : process.stderr, showBar);
  // one code path: `tsad bench --corpus nab` (which downloads and verifies the missing files first)
  const bench = await runBench({
    corpus: 'nab',
    detectors,
    files: opts.files,
    outDir,
    force: opts.force,
    workers,
    seed,
    floor: opts.floor,
    writeScoreboard: false,
    onRecipe: progress.onRecipe,
    onFile: progress.onFile,
  });
  progress.stop();
  const rows: NabCorpusRow[] = bench.rows.map(({ runs, files: _count, ...row }) => ({ ...row, files: runs }));
  const wallMs = performance.now() - start;
  const report: NabCorpusReport = { rows, published: await publishedScores(), wallMs };
  makeDirsSync(outDir);
  await writeFileAtomic(join(outDir, 'scoreboard.json'), `${JSON.stringify(report, null, 2)}\n`, true);

  if (opts.trackingUri !== false) {
    const tracker = interruptibleTracker(openTracker(opts.trackingUri));
    try {
      for (const row of rows) {
        await tracker.run({ experiment: 'nab-corpus', name: row.detector }, async (run) => {
          await run.logParams({
            detector: row.detector,
            recipe: row.detector.slice(5),
            seed,
            files: files.length,
          });
          await run.logMetrics({
            standard: row.scores.standard,
            reward_low_FP_rate: row.scores.reward_low_FP_rate,
            reward_low_FN_rate: row.scores.reward_low_FN_rate,
            wall_seconds: row.wallMs / 1000,
          });
          await run.logArtifact({
            name: 'per-file.json',
            bytes: new TextEncoder().encode(
              JSON.stringify({ thresholds: row.thresholds, files: row.files }, null, 2),
            ),
          });
        });
      }
    } finally {
      await tracker.close();
    }
  }
  return report;
}

/**
 * The scoreboard as text: our full-corpus rows among NAB's published ones, best standard score first,
 * floor rows marked; rows from a partial run are listed apart and never ranked.
 */
export function formatScoreboard(report: NabCorpusReport): string {
  const name = (r: NabCorpusRow) => `${r.floor ? '(floor) ' : ''}${r.detector}`;
  const all = [
    ...report.rows
      .filter((r) => !r.partial)
      .map((r) => ({ detector: name(r), scores: r.scores, ours: true })),
    ...report.published.map((p) => ({ ...p, ours: false })),
  ].sort((a, b) => b.scores.standard - a.scores.standard);
  const fmtRow = (ours: boolean, detector: string, s: Record<NabProfileName, number>) =>
    `${`${ours ? '* ' : '  '}${detector}`.padEnd(32)} ${s.standard.toFixed(2).padStart(9)} ${s.reward_low_FP_rate
      .toFixed(2)
      .padStart(9)} ${s.reward_low_FN_rate.toFixed(2).padStart(9)}`;
  const header = `${'detector'.padEnd(32)} ${'standard'.padStart(9)} ${'low FP'.padStart(9)} ${'low FN'.padStart(9)}`;
  const lines = [header, '-'.repeat(62)];
  for (const r of all) lines.push(fmtRow(r.ours, r.detector, r.scores));
  const partial = report.rows.filter((r) => r.partial);
  if (partial.length > 0) {
    lines.push(
      '',
      `PARTIAL runs (${partial[0].files.length} of the corpus files; not comparable, not ranked):`,
    );
    for (const r of partial) lines.push(fmtRow(true, name(r), r.scores));
  }
  lines.push(
    '',
    '* = tsad, measured now; the others are NAB’s published results (final_results.json).',
    '(floor) = the same score mapping fed a detector that always outputs 0.',
  );
  return lines.join('\n');
}

/** Per-file timing table for one row. */
export function formatTimings(row: NabCorpusRow): string {
  const lines = [
    `${row.detector}: per-file timing (ms)`,
    `${'file'.padEnd(58)} ${'rows'.padStart(6)} ${'train'.padStart(8)} ${'score'.padStart(8)} ${'total'.padStart(8)}`,
  ];
  for (const f of row.files) {
    lines.push(
      `${f.file.padEnd(58)} ${String(f.rows).padStart(6)} ${f.trainMs.toFixed(0).padStart(8)} ${f.scoreMs.toFixed(0).padStart(8)} ${f.totalMs.toFixed(0).padStart(8)}`,
    );
  }
  return lines.join('\n');
}

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import { nabFiles, nabPath } from '../datasets/index.js';
import { TsadError } from '../errors.js';
import { NAB_PROFILE_NAMES, type NabProfileName, scoreNabResults } from '../metrics/index.js';
import { classifyUri, defaultTrackingUri, openTracker } from '../tracking/open.js';
import { startModuleWorker } from '../worker-thread.js';
import { CORPUS_RECIPES, DETECTOR_RECIPES, FLOOR_RECIPE, isRecipe, recipeMapping } from './detectors.js';
import { type NabFileJob, type NabFileResult, nabResultPath } from './nab-corpus-file.js';
import type { NabScoreMapping } from './nab-stream.js';

export interface NabCorpusOptions {
  /** Recipes to run (keys of DETECTOR_RECIPES). Default: `CORPUS_RECIPES`. */
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
  /** Add the floor row of each score mapping run (the same mapping fed zeros). Default true. */
  readonly floor?: boolean;
}

export interface NabCorpusRow {
  readonly detector: string;
  /** The recipe's score mapping. */
  readonly mapping: NabScoreMapping;
  /** A floor row: the mapping fed a detector that always outputs 0. */
  readonly floor: boolean;
  /** Run over part of the corpus (`files`): never ranked among full-corpus rows. */
  readonly partial: boolean;
  readonly scores: Record<NabProfileName, number>;
  readonly thresholds: Record<NabProfileName, number>;
  readonly files: NabFileResult[];
  readonly wallMs: number;
}

export interface NabCorpusReport {
  readonly rows: NabCorpusRow[];
  readonly published: { detector: string; scores: Record<NabProfileName, number> }[];
  readonly wallMs: number;
}

export class NabRunError extends TsadError {}

function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'nab-worker');
}

type WorkerReply = { ok: true; result: NabFileResult } | { ok: false; file: string; error: string };

/** Sends one job to a worker and waits for its reply; a worker that errors or exits instead rejects. */
function ask(w: Worker, job: NabFileJob): Promise<WorkerReply> {
  return new Promise<WorkerReply>((res, rej) => {
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (msg: WorkerReply) => {
      done();
      res(msg);
    };
    const onError = (err: Error) => {
      done();
      rej(err);
    };
    const onExit = (code: number) => {
      done();
      rej(
        new NabRunError(
          'worker_exit',
          `the worker running ${job.file} exited (code ${code}) without a result`,
        ),
      );
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage(job);
  });
}

/** Runs jobs over a pool of worker threads; `onDone` is called as each finishes. */
export async function runPool(
  jobs: NabFileJob[],
  workers: number,
  onDone: (r: NabFileResult) => void,
): Promise<{ results: NabFileResult[]; failures: { file: string; error: string }[] }> {
  const results: NabFileResult[] = [];
  const failures: { file: string; error: string }[] = [];
  if (jobs.length === 0) return { results, failures };
  const queue = [...jobs];
  const count = Math.max(1, Math.min(workers, jobs.length));
  await Promise.all(
    Array.from({ length: count }, async () => {
      const w = startWorker();
      try {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const current = job;
          const msg = await ask(w, current);
          if (msg.ok) {
            results.push(msg.result);
            onDone(msg.result);
          } else failures.push({ file: msg.file, error: msg.error });
        }
      } finally {
        await w.terminate();
      }
    }),
  );
  return { results, failures };
}

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
  const detectors = [...(opts.detectors ?? CORPUS_RECIPES)];
  for (const d of detectors) {
    if (!isRecipe(d)) {
      throw new NabRunError(
        'unknown_detector',
        `unknown detector "${d}"; choose from ${Object.keys(DETECTOR_RECIPES).join(', ')}`,
      );
    }
  }
  if (opts.floor !== false) {
    for (const m of new Set(detectors.map(recipeMapping))) {
      if (!detectors.includes(FLOOR_RECIPE[m])) detectors.push(FLOOR_RECIPE[m]);
    }
  }
  const partial = opts.files !== undefined && new Set(opts.files).size < nabFiles().length;
  // a bad tracking URI fails now, not after the whole corpus has run
  if (opts.trackingUri !== false) classifyUri(opts.trackingUri ?? defaultTrackingUri());
  const workers = opts.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new NabRunError('bad_workers', `workers must be an integer ≥ 1, got ${workers}`);
  }
  const outDir = resolve(opts.outDir ?? 'bench/results/nab');
  const files = opts.files ?? nabFiles();
  const seed = opts.seed ?? 0;
  const showBar = opts.progress ?? process.stderr.isTTY;
  // make sure every data file is present (downloads and verifies once, before the workers start)
  await Promise.all(files.map((f) => nabPath(`data/${f}`)));
  await nabPath('labels/combined_windows.json');

  const rows: NabCorpusRow[] = [];
  for (const name of detectors) {
    const detectorName = `tsad_${name}`;
    const t0 = performance.now();
    const jobs: NabFileJob[] = files
      .filter((file) => opts.force || !existsSync(nabResultPath(outDir, detectorName, file)))
      .map((file) => ({ detectorName, recipe: name, seed, file, outDir }));
    const skipped = files.length - jobs.length;
    process.stderr.write(
      `nab: ${detectorName}: ${jobs.length} files to run${skipped ? `, ${skipped} already scored (use --force to redo)` : ''}\n`,
    );
    const bar = showBar
      ? new cliProgress.SingleBar(
          {
            format: `  ${detectorName} [{bar}] {value}/{total} files | {eta_formatted} left | {file}`,
            etaBuffer: 8,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    bar?.start(jobs.length, 0, { file: '' });
    let done = 0;
    const { results, failures } = await runPool(jobs, workers, (r) => {
      done++;
      if (bar) bar.increment(1, { file: r.file });
      else if (done % 10 === 0 || done === jobs.length)
        process.stderr.write(`  ${done}/${jobs.length} files\n`);
    });
    bar?.stop();
    if (failures.length > 0) {
      throw new NabRunError(
        'file_failed',
        `${detectorName} failed on ${failures.length} file(s): ${failures
          .slice(0, 3)
          .map((f) => `${f.file}: ${f.error}`)
          .join('; ')}`,
      );
    }
    const report = scoreNabResults(join(outDir, detectorName), {
      detector: detectorName,
      partial: opts.files !== undefined,
    });
    const scores = {} as Record<NabProfileName, number>;
    const thresholds = {} as Record<NabProfileName, number>;
    for (const p of NAB_PROFILE_NAMES) {
      scores[p] = report.scores[p].normalized;
      thresholds[p] = report.scores[p].threshold;
    }
    results.sort((a, b) => a.file.localeCompare(b.file));
    rows.push({
      detector: detectorName,
      mapping: recipeMapping(name),
      floor: name.startsWith('floor'),
      partial,
      scores,
      thresholds,
      files: results,
      wallMs: performance.now() - t0,
    });
  }
  const wallMs = performance.now() - start;
  const report: NabCorpusReport = { rows, published: await publishedScores(), wallMs };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'scoreboard.json'), `${JSON.stringify(report, null, 2)}\n`);

  if (opts.trackingUri !== false) {
    const tracker = openTracker(opts.trackingUri);
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

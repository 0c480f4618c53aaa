import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { intOption, listOption } from './options.js';
import { LOCATE_ONLY_NAMES, RECIPE_HELP } from './recipes.js';

/** `tsad bench --corpus DIR`: NAB-rules benchmark (or locate mode) over any corpus in NAB's layout. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'benchmark recipes on a labelled corpus in NAB layout: NAB scores with floor rows, revised F1 and MTTD per file, per-kind table; --locate for single-anomaly accuracy',
    )
    .requiredOption(
      '--corpus <dir>',
      'corpus folder (data/<category>/<file>.csv, labels/combined_windows.json), or nab for the NAB corpus',
    )
    .option(
      '-d, --detector <names>',
      `comma-separated recipes: ${RECIPE_HELP}; with --locate also ${LOCATE_ONLY_NAMES.join(', ')} (floor rows are added; default: default, or discordTwoSided with --locate)`,
      listOption('recipes'),
    )
    .option(
      '--files <paths>',
      'comma-separated corpus files (the run is labelled partial)',
      listOption('files'),
    )
    .option(
      '-o, --out <dir>',
      'results root (default: bench/results/corpus/<corpus folder name>; the corpus is never written to)',
    )
    .option(
      '--force',
      "re-run every file (without it, a result file is reused while its recipe, seed, data file and tsad's code are unchanged)",
      false,
    )
    .option('-w, --workers <n>', 'worker threads', intOption(1), 2)
    .option('--seed <n>', 'random seed', intOption(), 0)
    .option('--no-floor', 'leave out the floor rows')
    .option(
      '--locate',
      'locate mode: is the highest test score within --margin points of the one anomaly (a recipe a+b combines members by their larger robust z-score)',
      false,
    )
    .option('--margin <n>', 'locate mode: points either side of the anomaly that count', intOption(0), 100)
    .option('--json', 'print the report as JSON', false)
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (o) => {
      // locate mode asks where the one anomaly is: the shape detector (discord) is the specialist for
      // that (docs/evaluation.md, shape round), and locating is offline, so it compares each test
      // subsequence with its past and its future (locate round 4); the default ensemble is the
      // streaming all-rounder
      const detectors: string[] = o.detector ?? [o.locate ? 'discordTwoSided' : 'default'];
      const files: string[] | undefined = o.files;
      const offline = detectors.filter((d) => (LOCATE_ONLY_NAMES as readonly string[]).includes(d));
      if (!o.locate && offline.length > 0) {
        throw new ConfigError(
          'unknown_detector',
          `${offline.join(', ')} looks ahead in the series (offline): use it with --locate`,
        );
      }
      if (o.locate) {
        const { formatLocate, runLocate } = await import('../lab/locate.js');
        const r = await runLocate({ corpus: o.corpus, detectors, files, margin: o.margin, seed: o.seed });
        process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatLocate(r)}\n`);
        return;
      }
      const [{ formatBench, runBench }, { corpusProgress }, { interruptNote }] = await Promise.all([
        import('../lab/bench.js'),
        import('./corpus-progress.js'),
        import('./interrupt.js'),
      ]);
      const progress = corpusProgress('bench', o.quiet ? null : process.stderr, process.stderr.isTTY);
      // each finished file is kept (its result file and the manifest line that lets the next run reuse it)
      interruptNote(() => {
        const { detector, done, skipped } = progress.state;
        return detector === ''
          ? 'no file was scored yet'
          : `${detector}: ${done + skipped} files scored and kept (${done} in this run); the same command goes on from there`;
      });
      const r = await runBench({
        corpus: o.corpus,
        detectors,
        files,
        outDir: o.out,
        force: Boolean(o.force),
        workers: o.workers,
        seed: o.seed,
        floor: o.floor !== false,
        onRecipe: progress.onRecipe,
        onFile: progress.onFile,
      });
      progress.stop();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${formatBench(r)}\nwall time: ${(r.wallMs / 1000).toFixed(1)} s\n`);
    });
}

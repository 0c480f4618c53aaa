import { Command } from 'commander';
import { intOption, listOption, runScript } from './options.js';
import { CORPUS_RECIPE_NAMES, RECIPE_HELP } from './recipes.js';

/** Adds the `run` options and action to a command (shared by `tsad nab run` and `npm run nab:corpus`). */
export function configureNabRun(cmd: Command): Command {
  return cmd
    .description('run detectors over the whole NAB corpus (streaming, NAB rules) and print the scoreboard')
    .option(
      '-d, --detector <names>',
      `comma-separated recipes: ${RECIPE_HELP} (default: ${CORPUS_RECIPE_NAMES.join(',')})`,
      listOption('recipes'),
    )
    .option('-o, --out <dir>', 'results root (NAB layout below it)', 'bench/results/nab')
    .option('--files <paths>', 'comma-separated corpus files (default: all 58)', listOption('files'))
    .option(
      '--force',
      "re-run every file (without it, a result file is reused while its recipe, seed, data file and tsad's code are unchanged)",
      false,
    )
    .option('-w, --workers <n>', 'worker threads', intOption(1), 2)
    .option('--seed <n>', 'random seed', intOption(), 0)
    .option('--uri <uri>', 'tracking URI (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)')
    .option('--no-track', 'do not record a tracking run')
    .option('--no-floor', 'leave out the floor rows (each score mapping fed zeros)')
    .option('--timings', 'print the per-file timing table', false)
    .option('--json', 'print the report as JSON', false)
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (o) => {
      const { formatScoreboard, formatTimings, runNabCorpus } = await import('./nab/nab-corpus.js');
      const report = await runNabCorpus({
        detectors: o.detector,
        outDir: o.out,
        files: o.files,
        force: Boolean(o.force),
        workers: o.workers,
        seed: o.seed,
        trackingUri: o.track === false ? false : o.uri,
        floor: o.floor !== false,
        quiet: Boolean(o.quiet),
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${formatScoreboard(report)}\n\n`);
      if (o.timings) for (const row of report.rows) process.stdout.write(`${formatTimings(row)}\n\n`);
      process.stdout.write(`wall time: ${(report.wallMs / 1000).toFixed(1)} s\n`);
    });
}

export async function runNabCorpusCli(argv: string[]): Promise<void> {
  const cmd = configureNabRun(new Command('nab:corpus'));
  await runScript(async () => {
    await cmd.parseAsync(argv, { from: 'user' });
  });
}

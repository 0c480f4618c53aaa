/** `tsad train data.csv`: trains a detector recipe on your data, tracks the run, writes or registers the model. */
import type { Command } from 'commander';
import {
  type CsvColumnOptions,
  checkTimeUnit,
  readLabelsCsv,
  readSeriesCsv,
  singlePointLabelWarning,
  timeOption,
  withCsvInput,
} from './data.js';
import { exactJson, formatNumber, progress } from './format.js';
import { intOption } from './options.js';
import { RECIPE_HELP } from './recipes.js';

export interface TrainCliOptions extends CsvColumnOptions {
  detector: string;
  seed: number;
  until?: string;
  labels?: string;
  out?: string;
  register?: string;
  alias?: string;
  uri?: string;
  experiment: string;
  track: boolean;
  json?: boolean;
  quiet?: boolean;
}

export interface TrainCliResult {
  detector: string;
  rows: number;
  firstTime: string;
  lastTime: string;
  trainingAlarms: number;
  trainMs: number;
  runId: string | null;
  model: { name: string; version: number; alias: string | null } | null;
  out: string | null;
  warnings: string[];
}

/**
 * `-o` naming the data file itself (a slip of tab completion) would replace the user's data with the
 * model: refused before anything is read or written (the same file also through another path or link).
 */
async function refuseOutputOverInput(out: string, data: string): Promise<void> {
  const [{ stat }, { ConfigError }] = await Promise.all([import('node:fs/promises'), import('../errors.js')]);
  const [a, b] = await Promise.all([stat(out).catch(() => null), stat(data).catch(() => null)]);
  if (a && b && a.isFile() && a.dev === b.dev && a.ino === b.ino) {
    throw new ConfigError(
      'bad_option',
      `-o ${out} is the data file ${data}: the model would replace your data; give another path such as model.json`,
    );
  }
}

export async function trainCommand(path: string, o: TrainCliOptions): Promise<TrainCliResult> {
  const { ConfigError } = await import('../errors.js');
  if (o.register && !o.track) {
    throw new ConfigError('register_without_tracking', '--register needs a tracking store: drop --no-track');
  }
  if (o.alias && !o.register)
    throw new ConfigError('alias_without_register', '--alias needs --register NAME');
  if (o.register !== undefined) {
    // a model name (`a/b`, `m@1`) or alias (`latest`, `v2`) the registry refuses is refused before
    // training and tracking: afterwards it would leave a run without its model, or a new version
    // registered without its alias
    const { validateAlias, validateModelName } = await import('../tracking/validate.js');
    validateModelName(o.register);
    if (o.alias !== undefined) validateAlias(o.alias, true);
  }
  await import('../index.js'); // installs the model loader
  const [{ DETECTOR_RECIPES, assertRecipe }, { splitAt }, { openTracker }] = await Promise.all([
    import('../lab/recipes.js'),
    import('../series/ops.js'),
    import('../tracking/open.js'),
  ]);
  // own keys only: `toString` or `__proto__` is no recipe (it was a TypeError, exit 1)
  assertRecipe(o.detector);
  const recipe = DETECTOR_RECIPES[o.detector];
  await checkTimeUnit(o.timeUnit, o.trustTimeUnit);
  if (o.out) await refuseOutputOverInput(o.out, path);
  const until = o.until !== undefined ? await timeOption('--until', o.until) : undefined;
  progress(o.quiet, `reading ${path}`);
  const all = await readSeriesCsv(path, o);
  const train = until !== undefined ? splitAt(all, until)[0] : all;
  if (train.t.length === 0) {
    throw new ConfigError(
      'invalid_option',
      `no rows of ${path} are before --until ${o.until}: its first row is at ${new Date(all.t[0]).toISOString()}; pick a later --until`,
    );
  }
  const labels = o.labels ? await readLabelsCsv(path, o.labels, o, all.t) : undefined;
  const det = recipe({ seed: o.seed });
  const warnings: string[] = [];
  let trainLabels: typeof labels;
  if (labels) {
    trainLabels = until !== undefined ? splitAt(labels, until)[0] : labels;
    const w = singlePointLabelWarning(trainLabels.v, det.toJSON().config);
    if (w) warnings.push(w);
  }
  for (const w of warnings) process.stderr.write(`tsad: warning: ${w}\n`);
  progress(o.quiet, `training ${o.detector} on ${train.t.length} rows`);
  const t0 = performance.now();
  const scores = det.train(train, trainLabels ? { labels: trainLabels } : {});
  const trainMs = performance.now() - t0;
  let trainingAlarms = 0;
  for (let i = 0; i < scores.v.length; i++) if (scores.v[i] !== 0) trainingAlarms++;

  let out: string | null = null;
  if (o.out) {
    const [{ resolve }, { writeOutputFile }] = await Promise.all([
      import('node:path'),
      import('./output.js'),
    ]);
    out = resolve(o.out);
    await writeOutputFile(out, `${JSON.stringify(det.toJSON())}\n`);
    progress(o.quiet, `model written to ${out}`);
  }
  let runId: string | null = null;
  let model: TrainCliResult['model'] = null;
  if (o.track) {
    const { interruptibleTracker } = await import('./interrupt.js');
    const tracker = interruptibleTracker(openTracker(o.uri));
    try {
      runId = await tracker.run({ experiment: o.experiment }, async (run) => {
        await run.logParams({ detector: o.detector, seed: o.seed, data: path, until: o.until ?? null });
        await run.logDataset(train, { name: path, context: 'training', source: path });
        await run.logMetrics({ trainingAlarms, trainMs, rows: train.t.length });
        await run.logModel(det);
        return run.id;
      });
      progress(o.quiet, `tracked run ${runId} in ${tracker.uri}`);
      if (o.register) {
        const v = await tracker.registerModel(o.register, runId);
        if (o.alias) {
          // recorded as a manual promotion records it, so `tsad models rollback` can move it back
          const { pointAlias } = await import('../lifecycle/promote.js');
          await pointAlias(tracker, o.register, o.alias, v.version);
        }
        model = { name: o.register, version: v.version, alias: o.alias ?? null };
      }
    } finally {
      await tracker.close();
    }
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    detector: o.detector,
    rows: train.t.length,
    firstTime: iso(train.t[0]),
    lastTime: iso(train.t[train.t.length - 1]),
    trainingAlarms,
    trainMs,
    runId,
    model,
    out,
    warnings,
  };
}

export function formatTrain(r: TrainCliResult): string {
  const lines = [
    `trained ${r.detector} on ${r.rows} rows (${r.firstTime} .. ${r.lastTime}) in ${formatNumber(r.trainMs / 1000, 3)} s`,
    `  alarms on the training data  ${r.trainingAlarms}`,
  ];
  if (r.runId) lines.push(`  run                          ${r.runId}`);
  if (r.model) {
    lines.push(
      `  registered                   models:/${r.model.name}/${r.model.version}${r.model.alias ? ` (alias ${r.model.alias})` : ''}`,
    );
  }
  if (r.out) lines.push(`  model file                   ${r.out}`);
  return `${lines.join('\n')}\n`;
}

export function registerTrain(program: Command): Command {
  return withCsvInput(
    program
      .command('train')
      .description(
        'train a detector on a CSV file (time, value columns), track the run, save or register the model',
      ),
  )
    .option('-d, --detector <name>', `detector recipe: ${RECIPE_HELP}`, 'default')
    .option('--seed <n>', 'random seed', intOption(), 0)
    .option('--until <time>', 'train only on rows before this time (ISO 8601 or epoch ms)')
    .option('--labels <column>', '0/1 label column: trains the alarm threshold on labelled data')
    .option('-o, --out <model.json>', 'also write the model file here')
    .option('--register <name>', 'register the model under this name in the tracking store')
    .option('--alias <alias>', 'point this alias at the new version (with --register)')
    .option('--experiment <name>', 'experiment of the tracked run', 'tsad-train')
    .option('--uri <uri>', 'tracking URI (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)')
    .option('--no-track', 'do not record a tracking run')
    .option('--json', 'print the result as JSON (exact numbers)')
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (path: string, o: TrainCliOptions) => {
      const r = await trainCommand(path, o);
      process.stdout.write(o.json ? exactJson(r) : formatTrain(r));
    });
}

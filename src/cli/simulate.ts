/** `tsad simulate`: live-deployment simulation of a detector on a NAB file or a PostgreSQL table. */
import type { Command } from 'commander';
import type { TrainWindow } from '../lifecycle/simulate.js';
import type { TimeSeries, Window } from '../series/types.js';
import { defaultWorkers, intOption } from './options.js';
import { RECIPE_HELP } from './recipes.js';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'simulate live deployment: train before --train-end, then score point by point with the model live at each time, retraining on a schedule or on drift',
    )
    .argument('[nabFile]', 'NAB data file, e.g. realKnownCause/machine_temperature_system_failure.csv')
    .requiredOption(
      '--train-end <time>',
      'the first model trains on data before this time (ISO 8601 or epoch ms)',
    )
    .option('--data <uri>', 'read the series from PostgreSQL instead (postgres://…?table=name)')
    .option('-d, --detector <name>', `detector recipe: ${RECIPE_HELP}`, 'default')
    .option('--seed <n>', 'random seed', intOption(), 0)
    .option('--retrain-every <duration>', "retraining interval ('1d', '7d', …) or 'never'", 'never')
    .option('--retrain-on <what>', "also retrain on 'drift' of the input values")
    .option('--window <window>', "training window: 'expanding' or 'sliding:<duration>'", 'expanding')
    .option('--bin <duration>', 'bin the series first (date_bin), e.g. 5m')
    .option('--aggregate <agg>', 'aggregate per bin', 'max')
    .option(
      '--workers <n>',
      `worker threads running the models of a fixed schedule in parallel with the main thread (same results; default: one per CPU besides the main thread, ${defaultWorkers()} here; 0 = in line)`,
      intOption(0),
      defaultWorkers(),
    )
    .option('--uri <uri>', 'track a parent run and one child run per training at this tracking URI')
    .option('--json', 'print the result as JSON', false)
    .action(async (nabFile: string | undefined, o) => {
      // start-up stays small: what the command needs is loaded when it runs
      const { loadNab } = await import('../datasets/index.js');
      const { readSql } = await import('../datasets/sql.js');
      const { makeDetector } = await import('../lab/recipes.js');
      const { formatDuration } = await import('./nab/machine-temperature.js');
      const { splitTableParam } = await import('./nab/machine-temperature-data.js');
      const { parseSimulateSchedule, simulate } = await import('../lifecycle/simulate.js');
      const { dateBin } = await import('../series/index.js');
      const [{ classifyUri, openTracker }, { interruptibleTracker }] = await Promise.all([
        import('../tracking/open.js'),
        import('./interrupt.js'),
      ]);
      const [{ ConfigError }, { timeOption }] = await Promise.all([
        import('../errors.js'),
        import('./data.js'),
      ]);
      const { assertRecipe } = await import('../lab/recipes.js');
      const trainEnd = await timeOption('--train-end', o.trainEnd);
      // every option is checked before any data is read (a NAB file may be downloaded first)
      parseSimulateSchedule({ trainWindow: o.window, retrainEvery: o.retrainEvery, retrainOn: o.retrainOn });
      assertRecipe(o.detector);
      if (o.uri) classifyUri(o.uri);
      // (--data bins in SQL and reads --bin as a duration itself)
      const everyMs = o.bin && !o.data ? parseBin(o.bin) : Number.NaN;
      if (o.bin && !o.data && Number.isNaN(everyMs))
        throw new ConfigError('invalid_option', `--bin: expected e.g. 30s, 5m, 1h, got "${o.bin}"`);
      let series: TimeSeries;
      let labels: Window[] | undefined;
      let name: string;
      if (o.data) {
        const { uri, table } = splitTableParam(o.data);
        series = (await readSql(uri, { table, ...(o.bin ? { bin: o.bin, aggregate: o.aggregate } : {}) }))
          .series;
        name = table;
      } else {
        if (!nabFile)
          throw new ConfigError(
            'invalid_option',
            'pass a NAB file (e.g. realKnownCause/nyc_taxi.csv) or --data postgres://…?table=name',
          );
        const ds = await loadNab(nabFile, { onWarning: () => {} });
        series = o.bin ? dateBin(ds.rows, { everyMs, aggregate: o.aggregate }) : ds.series;
        labels = ds.windows;
        name = nabFile;
      }
      const tracker = o.uri ? interruptibleTracker(openTracker(o.uri)) : null;
      try {
        const r = await simulate(() => makeDetector(o.detector, { seed: o.seed }), series, {
          initialTrainEnd: trainEnd,
          retrainEvery: o.retrainEvery,
          trainWindow: o.window as TrainWindow,
          ...(o.retrainOn ? { retrainOn: o.retrainOn } : {}),
          ...(labels ? { labels } : {}),
          ...(o.workers > 0 ? { trainIn: { recipe: o.detector, seed: o.seed, workers: o.workers } } : {}),
          ...(tracker ? { tracking: { tracker, experiment: 'simulate', seriesName: name } } : {}),
        });
        const out = {
          series: name,
          precision: r.report?.precision ?? null,
          recall: r.report?.recall ?? null,
          f1: r.report?.f1 ?? null,
          // null when nothing was detected (the report's 0 would read as an instant detection)
          mttdSec: r.report && r.report.recall > 0 ? r.report.meanTimeToDetectSec : null,
          nabStandard: r.report?.nab.standard ?? null,
          alarms: r.alarms.length,
          retrains: r.retrains.length - 1,
          skippedRetrains: r.skippedRetrains,
          driftEvents: r.driftChecks.filter((c) => c.drift).length,
          wallMs: Math.round(r.wallMs),
          parentRunId: r.parentRunId ?? null,
        };
        if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        else {
          const f = (x: number | null) => (x === null ? '-' : x.toFixed(4));
          process.stdout.write(
            `${name}: precision ${f(out.precision)}, recall ${f(out.recall)}, F1 ${f(out.f1)}, MTTD ${
              out.mttdSec === null ? '-' : formatDuration(out.mttdSec)
            }, NAB-style ${f(out.nabStandard)}; ${out.alarms} alarms, ${out.retrains} retrains (${out.skippedRetrains} skipped), ${out.driftEvents} drift events, ${out.wallMs} ms${out.parentRunId ? `; run ${out.parentRunId}` : ''}\n`,
          );
        }
      } finally {
        await tracker?.close();
      }
    });
}

function parseBin(s: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(s);
  if (!m) return Number.NaN;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

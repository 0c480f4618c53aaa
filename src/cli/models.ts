/**
 * `tsad models list|show|promote|rollback`: the model registry of a tracking store.
 * `promote` and `rollback` are the library's `promote()` / `rollback()` (src/lifecycle/promote.ts):
 * with `--holdout FILE --labels COLUMN` the version takes the alias only when it beats the current
 * one on that labelled data by `--margin`; without a holdout it is a manual (forced) promotion. Either
 * way the decision, its reason and the version the alias replaced are tags of the model version, and
 * `rollback` moves the alias back to that version (again: one more step back).
 */
import { type Command, Option } from 'commander';
import type { Window } from '../series/types.js';
import {
  type CsvColumnOptions,
  checkTimeUnit,
  readLabelsCsv,
  readSeriesCsv,
  TIME_UNIT_OPTIONS,
  timeOption,
} from './data.js';
import { exactJson, table } from './format.js';
import { withTracker } from './options.js';

/** Runs of non-zero labels as inclusive time windows. */
export function labelWindows(t: ArrayLike<number>, labels: ArrayLike<number>): Window[] {
  const out: Window[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    const start = t[i];
    while (i + 1 < labels.length && labels[i + 1]) i++;
    out.push([start, t[i]]);
  }
  return out;
}

const arrow = (from: number | null, to: number) => `${from === null ? '-' : `v${from}`} → v${to}`;

export function registerModels(program: Command): Command {
  const models = program
    .command('models')
    .description('registered models: list, show versions, promote an alias, roll it back');
  const uriOpt = [
    '--uri <uri>',
    'tracking URI (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)',
  ] as const;

  models
    .command('list')
    .description('registered models with their aliases')
    .option(...uriOpt)
    .option('--json', 'print JSON')
    .action((o: { uri?: string; json?: boolean }) =>
      withTracker(o.uri, async (t) => {
        const list = await t.listRegisteredModels();
        if (o.json) return void process.stdout.write(exactJson(list));
        const rows = [['NAME', 'LATEST', 'ALIASES', 'CREATED']];
        for (const m of list) {
          const aliases = Object.entries(m.aliases)
            .sort()
            .map(([a, v]) => `${a}=v${v}`)
            .join(' ');
          rows.push([
            m.name,
            m.latestVersion === null ? '-' : `v${m.latestVersion}`,
            aliases || '-',
            new Date(m.creationTime).toISOString(),
          ]);
        }
        process.stdout.write(list.length === 0 ? `no registered models in ${t.uri}\n` : table(rows));
      }),
    );

  models
    .command('show <name>')
    .description('the versions of one model: run, source, aliases')
    .option(...uriOpt)
    .option('--json', 'print JSON')
    .action((name: string, o: { uri?: string; json?: boolean }) =>
      withTracker(o.uri, async (t) => {
        const versions = await t.listModelVersions(name);
        if (o.json) return void process.stdout.write(exactJson(versions));
        const rows = [['VERSION', 'RUN', 'ALIASES', 'CREATED']];
        for (const v of versions) {
          rows.push([
            `v${v.version}`,
            v.runId,
            v.aliases.join(' ') || '-',
            new Date(v.creationTime).toISOString(),
          ]);
        }
        process.stdout.write(table(rows));
      }),
    );

  models
    .command('promote <name> <version>')
    .description(
      'point an alias at a version: with --holdout, only if it beats the current one there by --margin; without, a manual promotion',
    )
    .option('--alias <alias>', 'alias to move', 'champion')
    .option('--holdout <csv>', 'labelled CSV to compare the version with the current alias target on')
    .option('--labels <column>', 'with --holdout: its 0/1 label column')
    .option('--time <column>', 'with --holdout: time column (name or 0-based index)')
    .option('--value <column>', 'with --holdout: value column (name or 0-based index)')
    .option(TIME_UNIT_OPTIONS[0][0], `with --holdout: ${TIME_UNIT_OPTIONS[0][1]}`)
    .option(TIME_UNIT_OPTIONS[1][0], `with --holdout: ${TIME_UNIT_OPTIONS[1][1]}`)
    .option(
      '--after <time>',
      'with --holdout: compare on the rows at or after this time only (earlier rows are context)',
    )
    .option('--metric <metric>', 'f1 | precision | recall | nab | mttd', 'f1')
    .addOption(
      new Option('--margin <x>', 'the version must beat the current one by more than this').default('0', '0'),
    )
    .option(...uriOpt)
    .option('--json', 'print JSON')
    .action(
      (
        name: string,
        version: string,
        o: CsvColumnOptions & {
          alias: string;
          holdout?: string;
          labels?: string;
          after?: string;
          metric: string;
          margin: string;
          uri?: string;
          json?: boolean;
        },
      ) =>
        withTracker(o.uri, async (t) => {
          const { promote } = await import('../lifecycle/promote.js');
          const { ConfigError } = await import('../errors.js');
          const challenger = Number(version.replace(/^v/, ''));
          if (!/^v?\d+$/.test(version) || !Number.isSafeInteger(challenger) || challenger < 1) {
            throw new ConfigError(
              'invalid_option',
              `VERSION "${version}" is not a version number; give an integer ≥ 1 such as 2 or v2 (see tsad models show ${name})`,
            );
          }
          const margin = Number(o.margin);
          if (o.margin.trim() === '' || !Number.isFinite(margin) || margin < 0) {
            throw new ConfigError('invalid_option', `--margin "${o.margin}" is not a number ≥ 0 (e.g. 0.02)`);
          }
          let holdout: import('../lifecycle/promote.js').Holdout | undefined;
          if (o.holdout) {
            if (!o.labels)
              throw new ConfigError('invalid_option', '--holdout needs --labels <column> (its 0/1 labels)');
            await checkTimeUnit(o.timeUnit, o.trustTimeUnit);
            const series = await readSeriesCsv(o.holdout, o);
            const lab = await readLabelsCsv(o.holdout, o.labels, o);
            const cut =
              o.after === undefined ? Number.NEGATIVE_INFINITY : await timeOption('--after', o.after);
            const i = series.t.findIndex((x) => x >= cut);
            const k = i < 0 ? series.t.length : i;
            const part = { t: series.t.slice(k), v: series.v.slice(k) };
            const j = lab.t.findIndex((x) => x >= cut);
            const labels = labelWindows(
              lab.t.slice(j < 0 ? lab.t.length : j),
              lab.v.slice(j < 0 ? lab.v.length : j),
            );
            holdout = {
              series: part,
              labels,
              ...(k > 0 ? { prev: { t: series.t.slice(0, k), v: series.v.slice(0, k) } } : {}),
            };
          } else if (o.labels || o.after || o.timeUnit || o.trustTimeUnit) {
            throw new ConfigError(
              'bad_option',
              '--labels, --after and --time-unit apply to --holdout; give the holdout CSV',
            );
          }
          const d = await promote({
            tracker: t,
            name,
            challenger,
            alias: o.alias,
            metric: o.metric as import('../lifecycle/promote.js').PromotionMetric,
            margin,
            ...(holdout ? { holdout } : { force: true }),
          });
          if (o.json) return void process.stdout.write(exactJson({ name, alias: o.alias, ...d }));
          process.stdout.write(
            d.decision === 'promoted'
              ? `${name}@${o.alias}: ${arrow(d.previousChampion, d.champion)}\n`
              : `${name}@${o.alias}: v${d.champion} kept; v${d.challenger} rejected: ${d.reason}\n`,
          );
        }),
    );

  models
    .command('rollback <name>')
    .description('move an alias back to the version it replaced (again: one more step back)')
    .option('--alias <alias>', 'alias to move back', 'champion')
    .option(...uriOpt)
    .option('--json', 'print JSON')
    .action((name: string, o: { alias: string; uri?: string; json?: boolean }) =>
      withTracker(o.uri, async (t) => {
        const { rollback } = await import('../lifecycle/promote.js');
        const m = await rollback(t, name, { alias: o.alias });
        process.stdout.write(
          o.json ? exactJson({ name, alias: o.alias, ...m }) : `${name}@${o.alias}: ${arrow(m.from, m.to)}\n`,
        );
      }),
    );
  return models;
}

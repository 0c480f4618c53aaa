/**
 * `tsad models list|show|promote|rollback`: the model registry of a tracking store.
 * `promote NAME VERSION --alias A` moves alias A and remembers where it pointed in `A-previous`;
 * `rollback NAME --alias A` moves A back there (and `A-previous` to where A was), so a second
 * rollback undoes the first.
 */
import type { Command } from 'commander';
import type { Tracker } from '../tracking/tracker.js';
import { exactJson, table } from './format.js';
import { intOption, withTracker } from './options.js';

const previousOf = (alias: string) => `${alias}-previous`;

export interface AliasMove {
  name: string;
  alias: string;
  from: number | null;
  to: number;
}

export async function promote(t: Tracker, name: string, version: number, alias: string): Promise<AliasMove> {
  await t.getModelVersion(name, version); // unknown version: TrackingNotFoundError before anything moves
  const model = (await t.listRegisteredModels()).find((m) => m.name === name);
  const from = model?.aliases[alias] ?? null;
  if (from !== null && from !== version) await t.setAlias(name, previousOf(alias), from);
  await t.setAlias(name, alias, version);
  return { name, alias, from, to: version };
}

export async function rollback(t: Tracker, name: string, alias: string): Promise<AliasMove> {
  const model = (await t.listRegisteredModels()).find((m) => m.name === name);
  const { TrackingError } = await import('../errors.js');
  if (!model)
    throw new TrackingError('model_not_found', `no registered model "${name}"; see tsad models list`);
  const current = model.aliases[alias];
  const previous = model.aliases[previousOf(alias)];
  if (previous === undefined) {
    throw new TrackingError(
      'nothing_to_roll_back',
      `model "${name}" has no alias "${previousOf(alias)}": "${alias}" was never moved by tsad models promote, so there is no earlier version to go back to (use promote NAME VERSION --alias ${alias})`,
    );
  }
  await t.setAlias(name, alias, previous);
  if (current !== undefined) await t.setAlias(name, previousOf(alias), current);
  return { name, alias, from: current ?? null, to: previous };
}

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
    .description('point an alias at a version (the alias it replaces is kept as <alias>-previous)')
    .option('--alias <alias>', 'alias to move', 'champion')
    .option(...uriOpt)
    .option('--json', 'print JSON')
    .action((name: string, version: string, o: { alias: string; uri?: string; json?: boolean }) =>
      withTracker(o.uri, async (t) => {
        const m = await promote(t, name, intOption(1)(version.replace(/^v/, '')), o.alias);
        process.stdout.write(
          o.json ? exactJson(m) : `${name}@${m.alias}: ${m.from === null ? '-' : `v${m.from}`} → v${m.to}\n`,
        );
      }),
    );

  models
    .command('rollback <name>')
    .description('move an alias back to where it pointed before the last promote')
    .option('--alias <alias>', 'alias to move back', 'champion')
    .option(...uriOpt)
    .option('--json', 'print JSON')
    .action((name: string, o: { alias: string; uri?: string; json?: boolean }) =>
      withTracker(o.uri, async (t) => {
        const m = await rollback(t, name, o.alias);
        process.stdout.write(
          o.json ? exactJson(m) : `${name}@${m.alias}: ${m.from === null ? '-' : `v${m.from}`} → v${m.to}\n`,
        );
      }),
    );
  return models;
}

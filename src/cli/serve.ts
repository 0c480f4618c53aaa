/** `tsad serve`: the HTTP scoring service (src/serve). */
import type { Command } from 'commander';
import { intOption } from './options.js';

/** The longest interval a Node timer holds (2^31 - 1 ms); a longer one fires every millisecond. */
const MAX_POLL_SECONDS = 2_147_483;

export interface ServeCliOptions {
  model: string;
  group?: string[];
  uri?: string;
  host: string;
  port: number;
  checkpoints?: string;
  maxSeries: number;
  checkpointEvery: number;
  pollSeconds: number;
  storeTimeoutSeconds: number;
}

export function registerServe(program: Command): Command {
  return program
    .command('serve')
    .description('HTTP JSON service scoring many series at once (see docs/serving.md)')
    .requiredOption(
      '-m, --model <ref>',
      'default model for every series: models:/NAME@ALIAS, models:/NAME/3, runs:/RUN_ID/model or a model file',
    )
    .option(
      '--group <prefix=ref...>',
      'series whose id starts with prefix use this model, e.g. cpu-=models:/cpu@champion',
    )
    .option(
      '--uri <uri>',
      'tracking URI of the registry (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)',
    )
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('-p, --port <port>', 'listen port (0 = any free port)', intOption(0, 65535), 8080)
    .option(
      '--checkpoints <dir>',
      'per-series checkpoint directory (default: none: state lives in memory only)',
    )
    .option(
      '--max-series <n>',
      'live series kept in memory; the least recently used are checkpointed and evicted (with a Random Cut Forest model, such as the default, keep it below 12,000: one process holds about 12,900 forests)',
      intOption(1),
      100_000,
    )
    .option('--checkpoint-every <n>', 'checkpoint a series after this many points', intOption(1), 1000)
    .option(
      '--poll-seconds <s>',
      'how often to check the registry for moved aliases (0 = only on SIGHUP; at most 2147483, about 24.8 days, the longest a Node timer holds)',
      intOption(0, MAX_POLL_SECONDS),
      30,
    )
    .option(
      '--store-timeout-seconds <s>',
      'how long a request waits for the checkpoint folder (a load, a write it needs, a DELETE) before it answers 503 checkpoint_store_failed; also bounds each checkpoint write at shutdown (at most 2147483)',
      intOption(1, MAX_POLL_SECONDS),
      10,
    )
    .action(async (o: ServeCliOptions) => {
      const { runServe } = await import('../serve/main.js');
      await runServe(o);
    });
}

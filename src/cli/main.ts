#!/usr/bin/env node
/**
 * The `tsad` command. Start-up is kept small: this file loads only commander and the command
 * definitions; each command imports what it needs when it runs. Exit codes: see ./exit.ts.
 */
import { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerDetect } from './detect.js';
import { reportError } from './exit.js';
import { registerModels } from './models.js';
import { registerMonitor } from './monitor.js';
import { registerNab } from './nab.js';
import { endIfDone } from './process-end.js';
import { registerReport } from './report.js';
import { registerRuns } from './runs.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { setUpStdio } from './stdio.js';
import { registerSynth } from './synth.js';
import { registerTrain } from './train.js';
import { packageVersion } from './version.js';

setUpStdio();
const program = new Command();
program
  .name('tsad')
  .description('time-series anomaly detection with experiment tracking')
  .exitOverride()
  // the program's own options (--version, --help) only before a command: after one, `--version 1`
  // (a model version meant for `models promote`) was read as tsad's and exited 0 without doing anything
  .enablePositionalOptions()
  .showHelpAfterError('(run tsad --help for its commands)');
const version = packageVersion();
if (version) program.version(version);
registerTrain(program);
registerDetect(program);
registerModels(program);
registerRuns(program);
registerReport(program);
registerServe(program);
registerNab(program);
registerSynth(program);
registerBench(program);
registerSimulate(program);
registerMonitor(program);
strictUsage(program);

/**
 * Every command, in one place: an unknown option is reported before a missing required one, and extra
 * arguments are refused. Commander checks required options first, so `tsad detect data.csv --modle
 * m.json` said "required option --model not specified" and never named the typo (nor its "did you
 * mean --model?"); and it ignores arguments beyond those declared (`tsad detect a.csv b.csv`). The
 * required options are checked here instead, in a `preAction` hook, which runs after commander's
 * unknown-option and argument checks, with commander's own wording.
 */
function strictUsage(cmd: Command, path = ''): void {
  for (const sub of cmd.commands) {
    const name = `${path} ${sub.name()}`;
    // the hint after a usage error names the command it came from (it said `tsad <command> --help`)
    sub.showHelpAfterError(
      `(run tsad${name} --help for its ${sub.commands.length > 0 ? 'commands' : 'options'})`,
    );
    strictUsage(sub, name);
  }
  cmd.allowExcessArguments(false);
  const required = cmd.options.filter((o) => o.mandatory);
  if (required.length === 0) return;
  for (const o of required) o.mandatory = false;
  cmd.hook('preAction', (_hooked, action) => {
    for (const o of required) {
      if (action.getOptionValue(o.attributeName()) === undefined) {
        action.error(`error: required option '${o.flags}' not specified`, {
          code: 'commander.missingMandatoryOptionValue',
          exitCode: 2,
        });
      }
    }
  });
}

/**
 * `tsad help NAME` for a command tsad does not have: commander would print the general help with no
 * word of why (exit 2); say `unknown command`, as `tsad NAME` does.
 */
function checkHelpTopic(args: readonly string[]): void {
  const [first, topic] = args;
  if (first !== 'help' || topic === undefined || topic.startsWith('-')) return;
  if (program.commands.some((c) => c.name() === topic || c.aliases().includes(topic))) return;
  program.error(`error: unknown command '${topic}'`, { code: 'commander.unknownCommand', exitCode: 2 });
}

Promise.resolve()
  .then(() => {
    checkHelpTopic(process.argv.slice(2));
    return program.parseAsync(process.argv);
  })
  .catch((err: unknown) => {
    process.exitCode = reportError(err);
  })
  // a one-shot command that is done ends the process now (./process-end.ts)
  .then(endIfDone);

#!/usr/bin/env node
import { Command } from 'commander';
import '../index.js'; // installs the model loader for `models:/` URIs
import { registerNab } from './nab.js';
import { registerRuns } from './runs.js';

const program = new Command();
program.name('tsad').description('time-series anomaly detection with experiment tracking');
registerNab(program);
registerRuns(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as Error;
  process.stderr.write(`tsad: ${e.name}: ${e.message}\n`);
  process.exit(1);
});

#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../index.js'; // importing the package entry also installs the model loader
import { registerMonitor } from './monitor.js';
import { registerNab } from './nab.js';
import { registerRuns } from './runs.js';
import { registerSimulate } from './simulate.js';

const program = new Command();
program.name('tsad').description('time-series anomaly detection with experiment tracking');
const root = packageRoot();
if (root) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  program.version(version);
}
registerNab(program);
registerRuns(program);
registerSimulate(program);
registerMonitor(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as Error;
  process.stderr.write(`tsad: ${e.name}: ${e.message}\n`);
  process.exit(1);
});

import type { Command } from 'commander';

export function registerRuns(program: Command): void {
  program.command('runs').description('list, show and export tracked runs (not built yet)');
}

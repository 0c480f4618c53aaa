import type { Command } from 'commander';

export function registerNab(program: Command): void {
  const nab = program.command('nab').description('NAB benchmark: score result files, run experiments');
  nab
    .command('machine-temperature')
    .description('run the NAB machine-temperature experiment')
    .action(() => {
      process.stdout.write('The NAB machine-temperature experiment is not built yet.\n');
    });
}

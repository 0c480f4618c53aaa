import type { Command } from 'commander';
import { SYNTH_KINDS, type SynthKind, synthCorpus, writeSynthCorpus } from '../lab/synth.js';
import { intOption } from './options.js';

/** `tsad synth <dir>`: writes a seeded, labelled corpus in NAB's layout. */
export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description(
      'write a seeded synthetic corpus in NAB layout (one labelled anomaly per file, its kind in labels/combined_windows_kinds.json, plus anomaly-free files)',
    )
    .argument('<dir>', 'output folder (data/ and labels/ are written below it)')
    .option('--seed <n>', 'corpus seed', intOption(0), 0)
    .option('--per-kind <n>', 'anomalous files per kind', intOption(0), 5)
    .option('--clean <n>', 'anomaly-free files', intOption(0), 8)
    .option('--length <n>', 'points per file', intOption(200), 3000)
    .option('--kinds <list>', `comma-separated kinds (default all: ${SYNTH_KINDS.join(',')})`)
    .action(
      (dir: string, o: { seed: number; perKind: number; clean: number; length: number; kinds?: string }) => {
        const corpus = synthCorpus({
          seed: o.seed,
          perKind: o.perKind,
          clean: o.clean,
          length: o.length,
          kinds: o.kinds ? (o.kinds.split(',') as SynthKind[]) : undefined,
        });
        writeSynthCorpus(dir, corpus);
        const windows = corpus.files.reduce((a, f) => a + f.windows.length, 0);
        process.stdout.write(
          `${corpus.files.length} files, ${windows} windows (seed ${o.seed}) written to ${dir}\n`,
        );
      },
    );
}

import type { Command } from 'commander';
import type { SynthKind } from '../lab/synth.js';
import { intOption, listOption, numberOption } from './options.js';

/** The anomaly kinds (the same list as `SYNTH_KINDS`; kept here so `tsad --help` loads no generator code). */
const KINDS = 'spike,dip,levelShiftUp,levelShiftDown,drift,varianceBurst,flatline,frequencyChange';

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
    .option('--length <n>', 'points per file, 200 to 100000', intOption(200), 3000)
    .option('--kinds <list>', `comma-separated kinds (default all: ${KINDS})`, listOption('kinds'))
    .option(
      '--noise-scale <x>',
      'factor on every file noise, in [0, 1] (e.g. 0.02: near-noiseless cycles)',
      numberOption(0, 1),
      1,
    )
    .option(
      '--steps <list>',
      'comma-separated steps in minutes to draw each file step from (default 1,5,10,15,30,60); each positive and a whole number of seconds (0.25 = 15 s); at steps of half a day or more the daily cycle aliases (1440: constant)',
      listOption('steps'),
    )
    .option(
      '--force',
      'write into a folder that is not empty: first remove its data/, labels/ and corpus.json (other files stay)',
    )
    .action(
      async (
        dir: string,
        o: {
          seed: number;
          perKind: number;
          clean: number;
          length: number;
          kinds?: string[];
          noiseScale: number;
          steps?: string[];
          force?: boolean;
        },
      ) => {
        const { parseSynthSteps, synthCorpus, writeSynthCorpus } = await import('../lab/synth.js');
        const corpus = synthCorpus({
          seed: o.seed,
          perKind: o.perKind,
          clean: o.clean,
          length: o.length,
          kinds: o.kinds as SynthKind[] | undefined,
          noiseScale: o.noiseScale,
          // a text that is no number is refused as typed; the numbers are checked by synthCorpus
          steps: o.steps && parseSynthSteps(o.steps),
        });
        try {
          writeSynthCorpus(dir, corpus, { force: o.force === true });
        } catch (err) {
          const { outputError } = await import('./output.js');
          throw await outputError(err, dir);
        }
        const windows = corpus.files.reduce((a, f) => a + f.windows.length, 0);
        process.stdout.write(
          `${corpus.files.length} files, ${windows} windows (seed ${o.seed}) written to ${dir}\n`,
        );
      },
    );
}

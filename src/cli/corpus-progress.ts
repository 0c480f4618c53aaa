import cliProgress from 'cli-progress';
import type { NabFileResult } from '../lab/nab-corpus-file.js';

/** Where a corpus run stands: the recipe running now, its files done and to run. */
export interface CorpusProgressState {
  detector: string;
  done: number;
  total: number;
  skipped: number;
}

/**
 * Progress of a corpus run (`tsad nab run`, `tsad bench`) on stderr: a line per recipe (files to run,
 * files reused), then a bar on a terminal or a line every 10 files and at the last one. `out` null
 * prints nothing but still counts (`state`), for the interrupt line.
 */
export function corpusProgress(
  prefix: string,
  out: NodeJS.WritableStream | null,
  showBar: boolean,
): {
  onRecipe: (detector: string, toRun: number, skipped: number) => void;
  onFile: (detector: string, r: NabFileResult) => void;
  stop: () => void;
  state: CorpusProgressState;
} {
  let bar: cliProgress.SingleBar | undefined;
  const state: CorpusProgressState = { detector: '', done: 0, total: 0, skipped: 0 };
  return {
    state,
    onRecipe: (detector, toRun, skipped) => {
      bar?.stop();
      Object.assign(state, { detector, done: 0, total: toRun, skipped });
      out?.write(
        `${prefix}: ${detector}: ${toRun} files to run${skipped ? `, ${skipped} already scored (use --force to redo)` : ''}\n`,
      );
      bar =
        out && showBar
          ? new cliProgress.SingleBar(
              {
                format: `  ${detector} [{bar}] {value}/{total} files | {eta_formatted} left | {file}`,
                etaBuffer: 8,
                stream: out,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      bar?.start(toRun, 0, { file: '' });
    },
    onFile: (_detector, r) => {
      state.done++;
      if (bar) bar.increment(1, { file: r.file });
      else if (state.done % 10 === 0 || state.done === state.total)
        out?.write(`  ${state.done}/${state.total} files\n`);
    },
    stop: () => bar?.stop(),
  };
}

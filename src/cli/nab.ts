import type { Command } from 'commander';
import type { NabResultsReport } from '../metrics/nab-files.js';
import type { NabProfileName } from '../metrics/tsad.js';

/** NAB's three scoring profiles (the same list as `NAB_PROFILE_NAMES`; kept here so `tsad --help` loads no metrics code). */
const NAB_PROFILE_NAMES: readonly NabProfileName[] = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];

import { configureMachineTemperature } from './nab-machine-temperature.js';
import { configureNabRun } from './nab-run.js';

export function registerNab(program: Command): void {
  const nab = program.command('nab').description('NAB benchmark: score result files, run experiments');
  configureMachineTemperature(nab.command('machine-temperature'));
  configureNabRun(nab.command('run'));

  nab
    .command('score')
    .description(
      "score a detector's NAB result files (<dir>/<category>/<detector>_<file>.csv) with the official NAB v1.1 scorer",
    )
    .argument('<resultsDir>', "one detector's results folder in NAB's layout")
    .option(
      '--thresholds <file>',
      "fixed thresholds from NAB's config/thresholds.json (entry = detector name)",
    )
    .option(
      '--data <nabDir>',
      'NAB folder holding labels/ (default: $TSAD_DATA_DIR/nab, else ../shared/datasets/nab, else the download cache; labels are downloaded once if missing)',
    )
    .option('--windows <file>', 'label windows file (default: <nabDir>/labels/combined_windows.json)')
    .option('--detector <name>', 'detector name (default: from the file names)')
    .option('--partial', 'score only the corpus files that have results')
    .option('--json', 'print { standard, reward_low_FP_rate, reward_low_FN_rate, thresholds } as JSON')
    .action(
      async (
        resultsDir: string,
        opts: {
          thresholds?: string;
          data?: string;
          windows?: string;
          detector?: string;
          partial?: boolean;
          json?: boolean;
        },
      ) => {
        const [{ nabPath }, { assertResultsFolder, CLI_LABEL_OPTIONS, scoreNabResultsOf }] =
          await Promise.all([import('../datasets/nab.js'), import('../metrics/nab-files.js')]);
        // the folder first: a typo must not download the labels before it is reported
        assertResultsFolder(resultsDir);
        // without --data/--windows, the labels come from the datasets layer (downloaded once if missing)
        const windowsFile =
          opts.windows ?? (opts.data ? undefined : await nabPath('labels/combined_windows.json'));
        // a missing labels file is named by its flag (--data / --windows), not by the library's option
        const report = scoreNabResultsOf(
          resultsDir,
          {
            thresholds: opts.thresholds,
            nabDir: opts.data,
            windowsFile,
            detector: opts.detector,
            partial: opts.partial,
          },
          undefined,
          CLI_LABEL_OPTIONS,
        );
        process.stdout.write(opts.json ? `${JSON.stringify(nabJson(report))}\n` : formatNabReport(report));
      },
    );
}

/** `{ standard, reward_low_FP_rate, reward_low_FN_rate, thresholds }` (normalised scores, thresholds used). */
export function nabJson(
  report: NabResultsReport,
): Record<NabProfileName, number> & { thresholds: Record<NabProfileName, number> } {
  const thresholds = {} as Record<NabProfileName, number>;
  const out = {} as Record<NabProfileName, number>;
  for (const p of NAB_PROFILE_NAMES) {
    out[p] = report.scores[p].normalized;
    thresholds[p] = report.scores[p].threshold;
  }
  return { ...out, thresholds };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    .join('\n');
}

function profileRows(scores: NabResultsReport['scores']): string[][] {
  const rows = [['profile', 'threshold', 'raw', 'score', 'TP', 'FP', 'FN', 'TN']];
  for (const p of NAB_PROFILE_NAMES) {
    const s = scores[p];
    rows.push([
      p,
      String(s.threshold),
      s.raw.toFixed(4),
      s.normalized.toFixed(2),
      String(s.tp),
      String(s.fp),
      String(s.fn),
      String(s.tn),
    ]);
  }
  return rows;
}

/** Human-readable report: one row per profile, plus re-optimised thresholds when fixed ones were given. */
export function formatNabReport(report: NabResultsReport): string {
  const fixed = report.reoptimized !== undefined;
  let out = `NAB score of ${report.detector} (${report.files} files; labels ${report.windowsFile})\n`;
  out += fixed ? 'at the given thresholds:\n' : 'at thresholds optimised over the corpus:\n';
  out += `${table(profileRows(report.scores))}\n`;
  if (report.reoptimized) {
    out += '\nre-optimised thresholds (exhaustive sweep over the corpus):\n';
    out += `${table(profileRows(report.reoptimized))}\n`;
  }
  out +=
    '\nscore: 0-100 normalised (null detector 0, perfect 100); raw: sum of per-file scores; counts are rows\n';
  return out;
}

/** `tsad monitor`: drift of a NAB file (or the whole corpus) against its probationary period. */
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { makeDirsSync } from '../fs-dirs.js';
import type { MonitorRecord } from '../lifecycle/monitor.js';
import { intOption, numberOption } from './options.js';

export function registerMonitor(program: Command): void {
  program
    .command('monitor')
    .description(
      'drift monitoring (KS, PSI, Jensen–Shannon) of NAB files against their probationary period; the five largest drifts in an HTML report',
    )
    .argument('[nabFiles...]', 'NAB data files (default: the whole corpus)')
    .option('--ks-alpha <p>', 'KS significance level', numberOption(0, 1), 0.001)
    .option('--psi <x>', 'PSI threshold', numberOption(0), 0.25)
    .option('--bins <n>', 'histogram bins', intOption(2), 20)
    .option('--report <path>', 'HTML report path', 'bench/results/nab-drift.html')
    .option('--no-report', 'do not write the HTML report')
    .option('--pg <uri>', 'also write every statistic to the tsad_monitor table of this PostgreSQL database')
    .option('--json', 'print the survey as JSON', false)
    .action(async (files: string[], o) => {
      // start-up stays small: what the command needs is loaded when it runs
      const { writeMonitorSql } = await import('../datasets/sql.js');
      const { monitorRecords } = await import('../lifecycle/monitor.js');
      const { nabDriftSurvey, renderNabDriftReport } = await import('../lifecycle/nab-drift.js');
      const { writeOutputFile } = await import('./output.js');
      const survey = await nabDriftSurvey({
        ...(files.length ? { files } : {}),
        bins: o.bins,
        thresholds: { ksAlpha: o.ksAlpha, psi: o.psi },
      });
      if (o.pg) {
        const records: MonitorRecord[] = [];
        for (const l of survey.largest) for (const c of l.checks) records.push(...monitorRecords(c));
        await writeMonitorSql(o.pg, records);
      }
      let reportPath: string | undefined;
      if (o.report !== false) {
        reportPath = resolve(o.report);
        makeDirsSync(dirname(reportPath));
        // whole or not at all; a device path (--report /dev/stdout) is written into, not renamed over
        await writeOutputFile(reportPath, renderNabDriftReport(survey));
      }
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ drifting: survey.drifting, files: survey.files, reportPath }, null, 2)}\n`,
        );
        return;
      }
      const L = [
        `${survey.drifting} of ${survey.files.length} files drift against their probationary period`,
      ];
      L.push('largest drifts (max PSI of a window):');
      for (const l of survey.largest) {
        L.push(
          `  ${l.file.file}: PSI ${l.file.maxPsi.toFixed(2)}, KS D ${l.file.maxKsD.toFixed(2)}, JS ${l.file.maxJs.toFixed(2)} bits, ${l.file.driftEvents}/${l.file.checks} windows`,
        );
      }
      L.push(`(${Math.round(survey.ms)} ms)${reportPath ? `; report: ${reportPath}` : ''}`);
      process.stdout.write(`${L.join('\n')}\n`);
    });
}

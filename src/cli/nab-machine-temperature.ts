import { Command } from 'commander';
import type { Tracker } from '../tracking/tracker.js';
import { defaultThreads, defaultWorkers, intOption, listOption, runScript } from './options.js';
import { assertRecipeName, RECIPE_NAMES } from './recipes.js';

/** Options and action of the machine-temperature experiment (`tsad nab machine-temperature`, `npm run nab`). */
export function configureMachineTemperature(cmd: Command): Command {
  return cmd
    .description('the NAB machine-temperature experiment: train, detect, evaluate, track, report')
    .option('-d, --detector <name>', `detector recipe: ${RECIPE_NAMES.join(', ')}`, 'default')
    .option('--seed <n>', 'random seed', intOption(), 0)
    .option('--uri <uri>', 'tracking URI (default: TSAD_TRACKING_URI, MLFLOW_TRACKING_URI, file:./tsad-runs)')
    .option('--no-track', 'do not record a tracking run')
    .option('--report <path>', 'HTML report path', 'bench/results/nab-machine-temperature.html')
    .option('--no-report', 'do not write the HTML report')
    .option('--json', 'print the result as JSON', false)
    .option(
      '--data <uri>',
      'read the series from PostgreSQL (postgres://…[?table=name]); the CSV is loaded once',
    )
    .option(
      '--retrain <plans>',
      `simulate live deployment with retraining: comma-separated <every>:<window> plans (once, 7d:expanding, 1d:sliding:14d, drift:expanding, …) or all`,
      listOption('plans'),
    )
    .option(
      '--threads <n>',
      "threads for the Random Cut Forest's batches: 2 = a worker thread takes part of its trees (same results; default: 2 when a second CPU is free right now, else 1)",
      intOption(1),
    )
    .option(
      '--workers <n>',
      `with --retrain: worker threads running the models of a fixed schedule in parallel with the main thread (same results; default: one per CPU besides the main thread, ${defaultWorkers()} here; 0 = in line)`,
      intOption(0),
      defaultWorkers(),
    )
    .action(async (o) => {
      // an unknown name is refused before a thread starts or a module loads for it
      assertRecipeName(o.detector);
      if (o.retrain) {
        const { formatRetrainTable, runMachineTemperatureRetrain } = await import(
          './nab/machine-temperature-retrain.js'
        );
        const rows = await runMachineTemperatureRetrain({
          plans: o.retrain,
          detector: o.detector,
          seed: o.seed,
          data: o.data,
          workers: o.workers,
          trackingUri: o.track === false || o.uri === undefined ? false : o.uri,
        });
        if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else process.stdout.write(`${formatRetrainTable(rows)}\n`);
        return;
      }
      const spawn = await import('../detectors/rcf/spawn.js');
      // Without --threads, a worker the bin started (it read the same rule from the words before
      // the bundle loaded: ./threads.ts) is used rather than asking the load average again
      const forestWorker = (o.threads ?? (spawn.earlyBatchWorkerWaiting() ? 2 : defaultThreads())) >= 2;
      // the forest's worker thread boots while this thread loads the experiment's modules and data
      // (started by the bin already, when it could tell from the words: then adopted here)
      if (forestWorker) spawn.preStartForestWorker();
      else void spawn.dropEarlyBatchWorker();
      // before the tracking backend's and the experiment's modules load (they build their schemas at
      // load: zod's jitless setting applies to the schemas built after it)
      (await import('./one-shot.js')).oneShotProcess();
      // the tracking backend loads and finds (or makes) the experiment while the modules load: its file
      // I/O interleaves with the module loading (an error is reported when the run starts)
      let tracker: Tracker | undefined;
      if (o.track !== false) {
        const [{ openTracker }, { EXPERIMENT_NAME }, { interruptibleTracker }] = await Promise.all([
          import('../tracking/open.js'),
          import('./nab/experiment-name.js'),
          import('./interrupt.js'),
        ]);
        // Ctrl-C / SIGTERM end the run KILLED (./interrupt.ts)
        tracker = interruptibleTracker(openTracker(o.uri));
        tracker.getOrCreateExperiment(EXPERIMENT_NAME).catch(() => undefined);
      }
      const { formatMachineTemperature, runMachineTemperature } = await import(
        './nab/machine-temperature.js'
      );
      const r = await runMachineTemperature({
        data: o.data,
        detector: o.detector,
        seed: o.seed,
        trackingUri: o.track === false ? false : o.uri,
        reportPath: o.report === false ? false : o.report,
        forestWorker,
        ...(tracker ? { tracker } : {}),
      });
      if (o.json) {
        const { report } = r;
        const out = {
          detector: r.recipe,
          rows: r.rows,
          precision: report.precision,
          recall: report.recall,
          f1: report.f1,
          mttdSec: report.recall > 0 ? report.meanTimeToDetectSec : null, // null: nothing detected
          pointwiseF1: report.pointwise.f1,
          pointAdjustedF1: report.pointAdjusted.f1,
          nab: report.nab,
          alarms: r.alarms.map((a) => ({ t: new Date(a.t).toISOString(), score: a.score, window: a.window })),
          timings: r.timings,
          runId: r.runId,
          modelVersion: r.modelVersion,
          reportPath: r.reportPath,
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else process.stdout.write(`${formatMachineTemperature(r)}\n`);
      // everything the experiment started is awaited: the bin may end the process now
      (await import('./process-end.js')).commandDone();
    });
}

export async function runMachineTemperatureCli(argv: string[]): Promise<void> {
  const cmd = configureMachineTemperature(new Command('nab'));
  await runScript(async () => {
    await cmd.parseAsync(argv, { from: 'user' });
  });
}

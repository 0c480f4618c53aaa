/**
 * Tracking to an MLflow server: params, metrics, the dataset digest and the model of a run, then the
 * model registered and loaded back by alias. Set MLFLOW_TRACKING_URI (e.g. http://127.0.0.1:5000).
 *
 *   MLFLOW_TRACKING_URI=http://127.0.0.1:5000 npx tsx examples/mlflow-tracking.ts
 */
import { evaluate, openTracker, splitAt, ZmsDetector } from 'tsad';

const uri = process.env.MLFLOW_TRACKING_URI;
if (!uri) throw new Error('set MLFLOW_TRACKING_URI to your MLflow server, e.g. http://127.0.0.1:5000');

const STEP = 60_000;
const t0 = Date.UTC(2024, 0, 1);
const n = 3000;
const spike = (i: number) => i >= 2500 && i < 2510;
const ts = {
  t: Float64Array.from({ length: n }, (_, i) => t0 + i * STEP),
  v: Float64Array.from({ length: n }, (_, i) => 10 + Math.sin(i / 40) + (spike(i) ? 6 : 0)),
};
const [train, test] = splitAt(ts, t0 + 2000 * STEP);

const det = new ZmsDetector({ nLags: 2 });
det.train(train);
const { scores } = det.detect(test, { prev: train });
const r = evaluate({ t: ts.t, truth: Float64Array.from({ length: n }, (_, i) => (spike(i) ? 1 : 0)), tPred: test.t, pred: scores.v });

const tracker = openTracker(uri);
const runId = await tracker.run({ experiment: 'tsad-example' }, async (run) => {
  await run.logParams({ detector: det.type, nLags: 2 });
  await run.logMetrics({ precision: r.precision, recall: r.recall, f1: r.f1 });
  await run.logDataset(train, { name: 'synthetic', context: 'training' });
  await run.logModel(det);
  return run.id;
});
const v = await tracker.registerModel('tsad-example', runId);
await tracker.setAlias('tsad-example', 'champion', v.version);
const loaded = await tracker.loadModel('models:/tsad-example@champion');
console.log(`run ${runId}: F1 ${r.f1.toFixed(3)}; registered version ${v.version}; loaded back a ${loaded.type}`);
await tracker.close();

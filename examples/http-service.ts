/**
 * An HTTP scoring service in a few lines: train a model, register it, serve it with `tsad/serve`
 * (Fastify), send points over HTTP. In production, run `tsad serve --model models:/NAME@champion`.
 *
 *   npx tsx examples/http-service.ts
 */
import { defaultDetector, openTracker } from 'tsad';
import { createService } from 'tsad/serve';

const STEP = 5 * 60_000;
const t0 = Date.UTC(2024, 0, 1);
const n = 2000;
const train = {
  t: Float64Array.from({ length: n }, (_, i) => t0 + i * STEP),
  v: Float64Array.from({ length: n }, (_, i) => 50 + 5 * Math.sin((2 * Math.PI * i) / 288) + Math.cos(i * 1.7)),
};

// train and register (an in-memory registry here; a file:, postgres:// or MLflow URI in production)
const tracker = openTracker('memory:example');
const det = defaultDetector({ seed: 0 });
det.train(train);
const runId = await tracker.run({ experiment: 'example' }, async (run) => {
  await run.logModel(det);
  return run.id;
});
const { version } = await tracker.registerModel('machine', runId);
await tracker.setAlias('machine', 'champion', version);

const service = await createService({ model: 'models:/machine@champion', tracker });
const url = await service.app.listen({ host: '127.0.0.1', port: 0 });

// a client: the next 20 points of one series, the last one a jump
const points = Array.from({ length: 20 }, (_, j) => ({
  t: t0 + (n + j) * STEP,
  v: 50 + 5 * Math.sin((2 * Math.PI * (n + j)) / 288) + (j >= 17 ? 40 : 0),
}));
const res = await fetch(`${url}/v1/series/machine-1/points`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ points }),
});
const body = (await res.json()) as { model: string; results: { t: number; score: number; alarm: boolean }[] };
const alarms = body.results.filter((r) => r.alarm).map((r) => new Date(r.t).toISOString());
console.log(`scored ${body.results.length} points with ${body.model}; alarms at ${alarms.join(', ') || 'none'}`);
const state = await (await fetch(`${url}/v1/series/machine-1`)).json();
console.log(`series state: ${JSON.stringify(state)}`);

await service.close(); // in production: on SIGTERM (checkpoints every live series first)
await tracker.close();

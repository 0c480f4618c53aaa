/**
 * What a new series costs `tsad serve` (docs/serving.md, "Measured here"; docs/evaluation.md, "Serve
 * leftovers (serve43)"): trains a model on 3,000 points of a synthetic series, writes it to a model file,
 * starts `createService({ model: FILE })` in-process and posts a first batch of 10 points to each of N
 * new series (Fastify's inject, no sockets), one after another. Prints the CPU and wall time of those
 * requests (min / median / max over the N), the whole fill's wall and CPU time, the live series at the
 * end and the load average before and after. Run it alternately on two builds to compare them.
 *
 *   node --import tsx bench/serve-new-series.ts [--dist DIR] [--model default|zms] [--max-series M] [N = 10000]
 *
 * `--model default` (the default ensemble, a Random Cut Forest with online updates per series) is the
 * default; `--model zms` a ZMS model. `--max-series M` (default N) bounds the live series: beyond it the
 * least recently used is evicted, and with no checkpoint store its state is dropped, so a fill of the
 * default ensemble can run with a few hundred live series (each holds about 3.3 MiB). `--dist DIR` loads
 * another built checkout's compiled modules (its `dist/src`); absent, this checkout's `src`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as DefaultModule from '../src/detectors/default.js';
import type * as IndexModule from '../src/index.js';
import type * as ServeModule from '../src/serve/index.js';
import { distModules } from './dist.js';
import { spikyCycle } from './spiky-cycle.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args.splice(at, 2)[1];
};
const dist = option('--dist');
const kind = option('--model') ?? 'default';
const maxOpt = option('--max-series');
const n = Number(args[0] ?? 10_000);
const maxSeries = maxOpt === undefined ? n : Number(maxOpt);
if (kind !== 'default' && kind !== 'zms') throw new Error(`--model ${kind}: default or zms`);
if (!(Number.isInteger(n) && n > 0 && Number.isInteger(maxSeries) && maxSeries > 0))
  throw new Error('N and --max-series are positive integers');
const from = distModules(dist);
const { defaultDetector } = (await import(from('detectors/default'))) as typeof DefaultModule;
const { ZmsDetector } = (await import(from('index'))) as typeof IndexModule;
const { createService } = (await import(from('serve/index'))) as typeof ServeModule;

const series = spikyCycle();
const det = kind === 'default' ? defaultDetector() : new ZmsDetector({});
det.train({ t: series.t.subarray(0, 3000), v: series.v.subarray(0, 3000) });
const dir = mkdtempSync(join(tmpdir(), 'tsad-serve-new-series-'));
const file = join(dir, 'model.json');
writeFileSync(file, JSON.stringify(det.toJSON()));
const payload = {
  points: Array.from({ length: 10 }, (_, i) => ({ t: series.t[3000 + i], v: series.v[3000 + i] })),
};

const svc = await createService({ model: file, maxSeries, defaultMetrics: false });
try {
  const post = async (id: string) => {
    const r = await svc.app.inject({ method: 'POST', url: `/v1/series/${id}/points`, payload });
    if (r.statusCode !== 200) throw new Error(`series ${id}: ${r.statusCode} ${r.body}`);
  };
  await post('warm-up'); // code compiled, caches warm
  const load0 = loadavg();
  const cpu = new Float64Array(n);
  const wall = new Float64Array(n);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let k = 0; k < n; k++) {
    const c = process.cpuUsage();
    const w = performance.now();
    await post(`s${k}`);
    wall[k] = performance.now() - w;
    const d = process.cpuUsage(c);
    cpu[k] = (d.user + d.system) / 1000;
  }
  const wallAll = performance.now() - wall0;
  const cpuAll = process.cpuUsage(cpu0);
  const load1 = loadavg();
  const spread = (a: Float64Array) => {
    const s = Float64Array.from(a).sort();
    return `${s[0].toFixed(2)} / ${s[s.length >> 1].toFixed(2)} / ${s[s.length - 1].toFixed(2)}`;
  };
  console.log(
    `${dist ?? 'this checkout'}: ${n} new series of the ${kind} model (a first batch of 10 points each), --max-series ${maxSeries}, no checkpoints`,
  );
  console.log(`  per new series, CPU ms min / median / max: ${spread(cpu)}`);
  console.log(`  per new series, wall ms min / median / max: ${spread(wall)}`);
  console.log(
    `  the fill: ${(wallAll / 1000).toFixed(2)} s wall, ${((cpuAll.user + cpuAll.system) / 1e6).toFixed(2)} s CPU; ${svc.liveCount()} live at the end`,
  );
  console.log(
    `  load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}`,
  );
} finally {
  await svc.close();
  rmSync(dir, { recursive: true, force: true });
}

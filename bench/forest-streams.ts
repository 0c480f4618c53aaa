import { loadavg } from 'node:os';
import type * as DefaultModule from '../src/detectors/default.js';
import type * as IndexModule from '../src/index.js';
import { distModules } from './dist.js';
import { spikyCycle } from './spiky-cycle.js';

const args = process.argv.slice(2);
const at = args.indexOf('--dist');
const dist = at < 0 ? undefined : args.splice(at, 2)[1];
const copy = args.indexOf('--copy');
if (copy >= 0) args.splice(copy, 1);
const n = Number(args[0] ?? 1000);
const from = distModules(dist);
const { defaultDetector } = (await import(from('detectors/default'))) as typeof DefaultModule;
const { loadModel } = (await import(from('index'))) as typeof IndexModule;

const gc = (globalThis as { gc?: () => void }).gc;
const series = spikyCycle();
const det = defaultDetector();
det.train({ t: series.t.subarray(0, 3000), v: series.v.subarray(0, 3000) });
const json = JSON.parse(JSON.stringify(det.toJSON()));
const rss = () => {
  gc?.();
  return process.memoryUsage().rss;
};
// one stream made and dropped first (code compiled, caches warm)
loadModel(json).stream();
const load0 = loadavg();
const rss0 = rss();
const held: unknown[] = [];
const cpu = new Float64Array(n);
const wall0 = performance.now();
const cpu0 = process.cpuUsage();
for (let k = 0; k < n; k++) {
  const c = process.cpuUsage();
  const s = copy >= 0 ? det.stream() : (loadModel(json) as ReturnType<typeof defaultDetector>).stream();
  const d = process.cpuUsage(c);
  cpu[k] = (d.user + d.system) / 1000;
  for (let i = 0; i < 10; i++) s.push(series.t[3000 + i], series.v[3000 + i]);
  held.push(s);
}
const cpuAll = process.cpuUsage(cpu0);
const wall = performance.now() - wall0;
const rss1 = rss();
const load1 = loadavg();
const med = Float64Array.from(cpu).sort()[n >> 1];
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(
  `${dist ?? 'this checkout'}: ${n} default-detector streams (${copy >= 0 ? 'det.stream()' : 'loadModel(json).stream()'}, 10 points each, held); gc ${gc ? 'on' : 'off'}`,
);
console.log(
  `  make a stream: median ${med.toFixed(2)} ms CPU; all ${n} with their pushes: ${((cpuAll.user + cpuAll.system) / 1e6).toFixed(2)} CPU-s, ${(wall / 1000).toFixed(2)} s wall`,
);
console.log(
  `  RSS ${mib(rss0)} → ${mib(rss1)} MiB: +${mib(rss1 - rss0)} MiB, ${mib((rss1 - rss0) / n)} MiB per stream (${Math.round(2 ** 30 / ((rss1 - rss0) / n))} per GiB)`,
);
console.log(
  `  load average ${load0.map((x) => x.toFixed(2)).join(' ')} → ${load1.map((x) => x.toFixed(2)).join(' ')}`,
);
if (held.length !== n) throw new Error('streams lost');

/**
 * `tsad serve` under series churn: many series created, each pushed a few points, then dropped by the
 * LRU (`--max-series`) or deleted (`--delete`). Prints the process's RSS and virtual size as it goes, and
 * the count of full (mark-compact) collections: each Random Cut Forest is a shared WebAssembly memory
 * that reserves 10 GiB of address space, so the virtual size counts the forests alive or not yet
 * collected (docs/evaluation.md, "Corpus peak memory (rss42)"). In process (`app.inject`, no sockets);
 * the model is the default ensemble trained on a synthetic series, from a model file. Not a timing bench.
 *
 *   npm run build && npx tsx bench/serve-churn.ts [--dist DIR] [--series 4000] [--max-series 100]
 *     [--points 5] [--every 250] [--delete]
 *
 * `--dist DIR`: load the compiled modules of another built checkout (to alternate two builds).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type * as Root from '../src/index.js';
import type * as ServeModule from '../src/serve/index.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const dist = opt('--dist');
const nSeries = Number(opt('--series') ?? 4000);
const maxSeries = Number(opt('--max-series') ?? 100);
const points = Number(opt('--points') ?? 5);
const every = Number(opt('--every') ?? 250);
const del = args.includes('--delete');
const from = (rel: string) =>
  dist === undefined ? `../src/${rel}.js` : pathToFileURL(resolve(dist, 'dist/src', `${rel}.js`)).href;
const { defaultDetector } = (await import(from('index'))) as typeof Root;
const { createService } = (await import(from('serve/index'))) as typeof ServeModule;

let majors = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
}).observe({ entryTypes: ['gc'] });

/** Virtual size in GiB (Linux: /proc/self/status VmSize). */
function vsizeGiB(): number {
  const m = /VmSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 2 ** 20 : Number.NaN;
}

const STEP = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const n = 2000;
const train = {
  t: Float64Array.from({ length: n }, (_, i) => T0 - (n - i) * STEP),
  v: Float64Array.from({ length: n }, (_, i) => 10 + Math.sin(i / 30) + ((i * 7919) % 100) / 500),
};
const tmp = mkdtempSync(join(tmpdir(), 'tsad-bench-churn-'));
try {
  const det = defaultDetector({ seed: 0 });
  det.train(train);
  const file = join(tmp, 'model.json');
  writeFileSync(file, JSON.stringify(det.toJSON()));
  const service = await createService({ model: file, maxSeries, defaultMetrics: false });
  const mib = () => process.memoryUsage().rss / 2 ** 20;
  const base = vsizeGiB();
  console.log(
    `build ${dist ?? 'this checkout'}; ${nSeries} series, ${points} points each, ${del ? 'each deleted after its points' : `LRU of ${maxSeries}`}; load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log('series  live  rss MiB  vsize GiB  ≈ memories (vsize / 10 GiB)  full GCs');
  let peak = 0;
  const body = (k: number) => ({
    points: Array.from({ length: points }, (_, j) => ({ t: T0 + (k * points + j) * STEP, v: 10 + (j % 3) })),
  });
  for (let k = 1; k <= nSeries; k++) {
    const id = `s${k}`;
    const r = await service.app.inject({ method: 'POST', url: `/v1/series/${id}/points`, payload: body(k) });
    if (r.statusCode !== 200) throw new Error(`POST ${id}: ${r.statusCode} ${r.body}`);
    if (del) {
      const d = await service.app.inject({ method: 'DELETE', url: `/v1/series/${id}` });
      if (d.statusCode !== 200) throw new Error(`DELETE ${id}: ${d.statusCode} ${d.body}`);
    }
    peak = Math.max(peak, mib());
    if (k % every === 0 || k === nSeries) {
      const vs = vsizeGiB();
      console.log(
        `${String(k).padStart(6)} ${String(service.liveCount()).padStart(5)} ${mib().toFixed(0).padStart(8)} ${vs
          .toFixed(0)
          .padStart(10)} ${((vs - base) / 10).toFixed(0).padStart(28)} ${String(majors).padStart(9)}`,
      );
    }
  }
  console.log(`peak rss ${peak.toFixed(0)} MiB (sampled after each series); full GCs ${majors}`);
  await service.close();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

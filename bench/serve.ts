/**
 * `tsad serve` under load (autocannon on loopback; bounded: each scenario runs a fixed time):
 * requests/s and p50/p99 latency for single points and batches of 100, with 1 and 10,000 live series;
 * then memory per live series (server RSS growth) and so series held per GiB.
 * The server is the built CLI in its own process; the model a ZMS detector from a temporary store.
 *
 *   npm run build && npx tsx bench/serve.ts [--seconds 5] [--connections 10]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { defaultDetector, openTracker, ZmsDetector } from '../src/index.js';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const seconds = arg('--seconds', 5);
const connections = arg('--connections', 10);
const repo = resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'tsad-bench-serve-'));
const uri = `file:${join(tmp, 'store')}`;
const STEP = 60_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

async function registerModels(): Promise<void> {
  const tracker = openTracker(uri);
  const n = 2000;
  const ts = {
    t: Float64Array.from({ length: n }, (_, i) => T0 - (n - i) * STEP),
    v: Float64Array.from({ length: n }, (_, i) => 10 + Math.sin(i / 30) + ((i * 7919) % 100) / 500),
  };
  for (const [name, det] of [
    ['zms', new ZmsDetector({ nLags: 3 })],
    ['default', defaultDetector({ seed: 0 })],
  ] as const) {
    det.train(ts);
    const runId = await tracker.run({ experiment: 'bench-serve' }, async (run) => {
      await run.logModel(det);
      return run.id;
    });
    await tracker.registerModel(name, runId);
    await tracker.setAlias(name, 'champion', 1);
  }
  await tracker.close();
}

async function startServer(model: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(
    process.execPath,
    [
      join(repo, 'dist/cli/main.js'),
      'serve',
      '--model',
      model,
      '--uri',
      uri,
      '--port',
      '0',
      '--poll-seconds',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((ok) => createInterface({ input: proc.stdout! }).once('line', ok));
  return { proc, url: JSON.parse(line).listening };
}

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function scenario(url: string, label: string, series: number, batch: number): Promise<void> {
  let n = 0; // one global clock: every series sees increasing times
  const prefix = `${label.replace(/\W+/g, '-')}-`; // fresh series per scenario (times restart at T0)
  const result = await autocannon({
    url: `${url}/v1/series/s0/points`,
    // one series is one ordered stream: a single connection (concurrent ones would race each other's times)
    connections: series === 1 ? 1 : connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const id = `${prefix}${n % series}`;
          const base = n++ * batch;
          const body =
            batch === 1
              ? { t: T0 + base * STEP, v: 10 + Math.sin(base / 30) }
              : {
                  points: Array.from({ length: batch }, (_, j) => ({
                    t: T0 + (base + j) * STEP,
                    v: 10 + Math.sin((base + j) / 30),
                  })),
                };
          return { ...req, path: `/v1/series/${id}/points`, body: JSON.stringify(body) };
        },
      },
    ],
  });
  const bad = result.non2xx + result.errors; // 409s: two connections raced on one series (ids wrap around)
  process.stdout.write(
    `${label.padEnd(34)} ${result.requests.average.toFixed(0).padStart(7)} req/s  ${(result.requests.average * batch).toFixed(0).padStart(8)} points/s` +
      `  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms${bad ? `  (${bad} failed)` : ''}\n`,
  );
}

async function perSeries(model: string, count: number, points: number): Promise<void> {
  const { proc, url } = await startServer(model);
  try {
    const before = rssMiB(proc.pid!);
    for (let i = 0; i < count; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, (_, j) =>
          fetch(`${url}/v1/series/m${i + j}/points`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              points: Array.from({ length: points }, (_, k) => ({ t: T0 + k * STEP, v: 10 + Math.sin(k) })),
            }),
          }).then((r) => r.arrayBuffer()),
        ),
      );
    }
    const after = rssMiB(proc.pid!);
    const per = ((after - before) * 1024 * 1024) / count;
    process.stdout.write(
      `${model.padEnd(26)} ${count} series × ${points} points: RSS +${(after - before).toFixed(0)} MiB → ${(per / 1024).toFixed(1)} KiB/series → ${Math.floor(2 ** 30 / per).toLocaleString('en')} series per GiB\n`,
    );
  } finally {
    proc.kill('SIGTERM');
  }
}

process.stdout.write(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}; ${seconds} s per scenario, ${connections} connections\n`,
);
try {
  await registerModels();
  const { proc, url } = await startServer('models:/zms@champion');
  try {
    await scenario(url, 'single point, 1 series', 1, 1);
    await scenario(url, 'batch of 100, 1 series', 1, 100);
    await scenario(url, 'single point, 10,000 series', 10_000, 1);
    await scenario(url, 'batch of 100, 10,000 series', 10_000, 100);
  } finally {
    proc.kill('SIGTERM');
  }
  await perSeries('models:/zms@champion', 10_000, 10);
  await perSeries('models:/default@champion', 200, 10);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

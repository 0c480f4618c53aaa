/**
 * Series layer throughput: CSV read + validate (NAB machine temperature) and resampling 10 M points.
 * Run: `npx tsx bench/series.ts` (TSAD_DATA_DIR may point at the folder containing nab/).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nabPath } from '../src/datasets/index.js';
import { dateBin, readCsv, readCsvRows, resample, type TimeSeries } from '../src/series/index.js';

const quiet = { onWarning: () => {} };

/**
 * Times `fn` 5 times after a warm-up and prints count / time as the median wall-clock rate and the
 * median CPU-time rate (user + system of this process): on a shared machine the CPU-time figure
 * shows what the code does when it gets a core, the wall-clock one what it got.
 */
async function rate(label: string, unit: string, count: number, fn: () => Promise<unknown> | unknown) {
  await fn(); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[2];
  const m = (ms: number) => ((count / ms) * 1e3) / 1e6;
  console.log(
    `${label.padEnd(56)} wall ${m(med(wall)).toFixed(1).padStart(6)} M ${unit}/s   cpu-time ${m(med(cpu)).toFixed(1).padStart(6)} M ${unit}/s`,
  );
}

const mt = await nabPath('realKnownCause/machine_temperature_system_failure.csv');
const rows = (await readCsvRows(mt)).t.length;
const REPEAT = 100; // 100 × 22,695 rows ≈ 2.3 M rows per timed run
console.log(`node ${process.version}; machine temperature: ${rows} rows, parsed ${REPEAT}× per timed run\n`);

await rate('readCsvRows (parse only, byte-level path)', 'rows', rows * REPEAT, async () => {
  for (let i = 0; i < REPEAT; i++) await readCsvRows(mt);
});
await rate('readCsv (parse + sort + dedupe + validate)', 'rows', rows * REPEAT, async () => {
  for (let i = 0; i < REPEAT; i++) await readCsv(mt, quiet);
});
const dir = mkdtempSync(join(tmpdir(), 'tsad-bench-'));
try {
  const quoted = join(dir, 'quoted.csv');
  copyFileSync(mt, join(dir, 'plain.csv'));
  const text = readFileSync(mt, 'utf8').replace(/^([^,\n]+),/gm, '"$1",');
  writeFileSync(quoted, text);
  await rate('readCsv on a quoted copy (csv-parse path)', 'rows', rows * 10, async () => {
    for (let i = 0; i < 10; i++) await readCsv(quoted, quiet);
  });
  // the same file with CR-only (old Mac) and CRLF line ends: the byte-level path at LF speed
  const lf = readFileSync(mt, 'utf8');
  for (const [name, eol] of [
    ['CR-only', '\r'],
    ['CRLF', '\r\n'],
  ] as const) {
    const p = join(dir, `${name}.csv`);
    writeFileSync(p, lf.replace(/\r?\n/g, eol));
    await rate(`readCsvRows on a ${name} copy (byte-level path)`, 'rows', rows * REPEAT, async () => {
      for (let i = 0; i < REPEAT; i++) await readCsvRows(p);
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// 10 M points, 1-minute data with 1 % of the minutes missing
const N = 10_000_000;
const t = new Float64Array(N);
const v = new Float64Array(N);
let x = Date.UTC(2020, 0, 1);
let seed = 42;
for (let i = 0; i < N; i++) {
  seed = (seed * 1103515245 + 12345) >>> 0;
  x += (seed % 100 === 0 ? 2 : 1) * 60_000;
  t[i] = x;
  v[i] = Math.sin(i / 1440) + (seed / 2 ** 32 - 0.5);
}
const ts: TimeSeries = { t, v };
console.log(`\nresample: ${N / 1e6} M points, 1-minute data with ~1 % gaps`);
await rate('resample at own granularity (1 min, mean, interpolate)', 'points', N, () =>
  resample(ts, { granularityMs: 60_000 }),
);
await rate('resample to 5 min (mean, interpolate)', 'points', N, () =>
  resample(ts, { granularityMs: 300_000 }),
);
await rate('resample, granularity inferred (1 min)', 'points', N, () => resample(ts));
await rate('dateBin 5 min / max (sorted rows)', 'points', N, () =>
  dateBin(ts, { everyMs: 300_000, aggregate: 'max' }),
);

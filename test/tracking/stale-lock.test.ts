/**
 * Crash-proof locking of the local store: 100 trials, each starting with the registry lock left
 * by a dead process, then 8 separate processes registering a version at once. Every trial must
 * end with versions 1..8, each acknowledged to exactly one writer: none lost, none duplicated.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTracker } from '../../src/tracking/index.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'lock-child.ts');
const WRITERS = 8;
const TRIALS = 100;

interface Worker {
  proc: ChildProcessWithoutNullStreams;
  next: () => Promise<string>;
}

function startWorker(): Promise<Worker> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
  const queue: string[] = [];
  const waiting: ((s: string) => void)[] = [];
  createInterface({ input: proc.stdout }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const next = () =>
    new Promise<string>((res) => {
      const q = queue.shift();
      if (q !== undefined) res(q);
      else waiting.push(res);
    });
  return next().then((l) => {
    if (l !== 'ready') throw new Error(`lock worker said ${l}`);
    return { proc, next };
  });
}

let workers: Worker[] = [];
let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsad-stale-lock-'));
  workers = await Promise.all(Array.from({ length: WRITERS }, startWorker));
}, 120_000);
afterAll(async () => {
  for (const w of workers) w.proc.stdin.end();
  await rm(root, { recursive: true, force: true });
});

describe('local store lock after a crash', () => {
  it(`${TRIALS} trials: a dead process's registry lock + ${WRITERS} concurrent writer processes`, async () => {
    // a pid that certainly belonged to a process that has exited
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    let lost = 0;
    let duplicated = 0;
    let failed: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = join(root, `s${trial}`);
      const t = openTracker(`file:${dir}`);
      const run = await t.startRun({ experiment: 'e' });
      await run.logArtifact({ name: 'model/model.json', bytes: '{}' }); // registerModel needs a model
      await run.end();
      await writeFile(join(dir, '.lock-registry'), `${hostname()}\n${dead}\ndeadbeef\n${Date.now()}\n`);
      for (const w of workers) w.proc.stdin.write(`${trial} ${dir} ${run.id}\n`);
      const answers = await Promise.all(workers.map((w) => w.next()));
      const acked: number[] = [];
      for (const a of answers) {
        const [tr, status, ...rest] = a.split(' ');
        expect(Number(tr)).toBe(trial);
        if (status === 'ok') acked.push(Number(rest[0]));
        else failed.push(rest.join(' '));
      }
      const stored = (await t.listModelVersions('m')).map((v) => v.version);
      lost += acked.filter((v) => !stored.includes(v)).length;
      duplicated += acked.length - new Set(acked).size;
      expect(stored).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect([...acked].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
    expect({ lost, duplicated, failed }).toEqual({ lost: 0, duplicated: 0, failed: [] });
    failed = [];
  }, 300_000);
});

/**
 * `tsad serve` under churn (serve44): a series the service drops for good (evicted once its checkpoint
 * landed, DELETE, a reload's restart, close()) releases its stream, and its forest's WebAssembly memory
 * is taken by the next series' forest instead of a new one, so the memories reserved stay bounded by the
 * live series however many come and go. Counted through WebAssembly.Memory; scores checked against
 * streams of the model loaded on their own, uninterrupted (the oracle: no service, no pool reuse).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelJson } from '../../src/detectors/index.js';
import { loadModel } from '../../src/index.js';
import { clearForestPool, forestPoolStats, setForestPoolMaxBytes } from '../../src/internal.js';
import { createService, DirectoryCheckpointStore, type Service } from '../../src/serve/index.js';
import { post, pts, scoresOf, writeOnlineForest } from '../helpers/serve.js';

type MemoryCtor = new (d: object) => object;
const wasm = (globalThis as unknown as { WebAssembly: { Memory: MemoryCtor } }).WebAssembly;
const RealMemory = wasm.Memory;

/** Counts the WebAssembly memories made while it is on. */
function countMemories(): { made: number; restore: () => void } {
  const out = { made: 0, restore: () => spy.mockRestore() };
  const spy = vi.spyOn(wasm, 'Memory').mockImplementation(
    class {
      constructor(d: object) {
        out.made++;
        // biome-ignore lint/correctness/noConstructorReturn: the stand-in hands out a real memory
        return new RealMemory(d);
      }
    } as unknown as MemoryCtor,
  );
  return out;
}

let dir: string;
let file: string;
let model: ModelJson;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-serve-release-'));
  ({ file, model } = writeOnlineForest(dir));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => clearForestPool());
afterEach(() => vi.restoreAllMocks());

/** Scores of series k's points `from`..`to` on a stream of the model loaded on its own, as JSON carries them. */
function direct(k: number, from: number, to: number): number[] {
  const s = loadModel(model).stream();
  const all = pts(k, 0, to).map(([t, v]) => s.push(t, v).score);
  return JSON.parse(JSON.stringify(all.slice(from)));
}

let serial = 0;
function service(maxSeries: number, withCheckpoints = true): Promise<Service> {
  return createService({
    model: file,
    ...(withCheckpoints ? { checkpoints: new DirectoryCheckpointStore(join(dir, `cps-${serial++}`)) } : {}),
    maxSeries,
    checkpointEvery: 1_000_000,
    defaultMetrics: false,
  });
}

describe('tsad serve: the memory of dropped series comes back for reuse', () => {
  it('series created, evicted and resumed in any order score as uninterrupted streams, and the memories made stay bounded by the live series', async () => {
    const step = fc.record({ k: fc.nat({ max: 7 }), n: fc.integer({ min: 1, max: 12 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 24 }), async (steps) => {
        clearForestPool();
        const svc = await service(2);
        const count = countMemories();
        const seen = new Map<number, number>();
        const got = new Map<number, number[]>();
        try {
          for (const { k, n } of steps) {
            const from = seen.get(k) ?? 0;
            const r = await post(svc, `s${k}`, pts(k, from, from + n));
            expect(r.status).toBe(200);
            seen.set(k, from + n);
            got.set(k, [...(got.get(k) ?? []), ...scoresOf(r)]);
            expect(svc.liveCount()).toBeLessThanOrEqual(2);
            // the eviction's checkpoint write settled (a file write: how long it takes is the disk's),
            // so that what is counted does not depend on timing
            await svc.checkpointAll();
          }
          // two live forests and the one an eviction is about to give back (a restore's loaded forest is
          // the stream's own): without the pool every new or restored series made one
          expect(count.made).toBeLessThanOrEqual(3);
        } finally {
          count.restore();
          await svc.close();
        }
        for (const [k, scores] of got) expect([k, scores]).toEqual([k, direct(k, 0, seen.get(k)!)]);
      }),
      { numRuns: 12 },
    );
  });

  it('without the pool (bound 0) the same churn makes a memory per new or restored series: what the count above tells apart', async () => {
    const was = setForestPoolMaxBytes(0);
    const svc = await service(2);
    const count = countMemories();
    try {
      for (let round = 0; round < 2; round++)
        for (let k = 0; k < 5; k++)
          expect((await post(svc, `s${k}`, pts(k, round * 10, round * 10 + 10))).status).toBe(200);
      expect(count.made).toBeGreaterThanOrEqual(10);
    } finally {
      count.restore();
      setForestPoolMaxBytes(was);
      await svc.close();
    }
  });

  it('DELETE releases the series: series created and deleted one after another reserve one memory', async () => {
    const svc = await service(100);
    const count = countMemories();
    try {
      for (let k = 0; k < 20; k++) {
        expect((await post(svc, `d${k}`, pts(k, 0, 10))).status).toBe(200);
        expect((await svc.app.inject({ method: 'DELETE', url: `/v1/series/d${k}` })).statusCode).toBe(200);
      }
      expect(svc.liveCount()).toBe(0);
      expect(count.made).toBe(1);
      expect(forestPoolStats().forests).toBe(1);
      // a deleted series starts again from its model
      const r = await post(svc, 'd3', pts(3, 0, 15));
      expect(scoresOf(r)).toEqual(direct(3, 0, 15));
    } finally {
      count.restore();
      await svc.close();
    }
  });

  it('without --checkpoints an evicted series is dropped and released at once; its next point starts it from its model', async () => {
    const svc = await service(1, false);
    const count = countMemories();
    try {
      for (let k = 0; k < 10; k++) expect((await post(svc, `e${k}`, pts(k, 0, 10))).status).toBe(200);
      expect(count.made).toBeLessThanOrEqual(2);
      expect(scoresOf(await post(svc, 'e0', pts(0, 0, 5)))).toEqual(direct(0, 0, 5));
    } finally {
      count.restore();
      await svc.close();
    }
  });

  it('a reload that restarts the series releases them; close() releases the live ones after writing them', async () => {
    const own = join(dir, 'reloaded.json');
    writeFileSync(own, JSON.stringify(model));
    const svc = await createService({ model: own, maxSeries: 100, defaultMetrics: false });
    try {
      for (let k = 0; k < 3; k++) expect((await post(svc, `r${k}`, pts(k, 0, 10))).status).toBe(200);
      expect(forestPoolStats().forests).toBe(0);
      // the file replaced (a new modification time): a new version, its series restart
      writeFileSync(own, JSON.stringify(model));
      const { utimesSync } = await import('node:fs');
      utimesSync(own, new Date(), new Date(Date.now() + 60_000));
      expect(await svc.reload()).toHaveLength(1);
      expect(svc.liveCount()).toBe(0);
      expect(forestPoolStats().forests).toBeGreaterThanOrEqual(3);
      for (let k = 0; k < 2; k++)
        expect(scoresOf(await post(svc, `r${k}`, pts(k, 0, 10)))).toEqual(direct(k, 0, 10));
    } finally {
      const before = forestPoolStats().forests;
      await svc.close();
      expect(forestPoolStats().forests).toBe(before + 2);
    }
  });
});

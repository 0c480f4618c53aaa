import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { makeDetector, recipeMapping } from '../../src/experiments/detectors.js';
import { formatBench, runBench } from '../../src/lab/bench.js';
import { runLocate } from '../../src/lab/locate.js';
import { synthCorpus, writeSynthCorpus } from '../../src/lab/synth.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-bench-'));
  writeSynthCorpus(
    dir,
    synthCorpus({ seed: 5, perKind: 1, clean: 2, length: 600, kinds: ['spike', 'levelShiftUp', 'flatline'] }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runBench', () => {
  it('scores a synthetic corpus under NAB rules with floor rows, per-kind and per-file figures', async () => {
    const r = await runBench({
      corpus: dir,
      detectors: ['zms', 'zmsLikelihood'],
      workers: 1,
      outDir: join(dir, 'results'),
    });
    expect(r.partial).toBe(false);
    expect(r.rows.map((x) => x.recipe).sort()).toEqual([
      'floorCdf',
      'floorLikelihood',
      'zms',
      'zmsLikelihood',
    ]);
    const floorCdf = r.rows.find((x) => x.recipe === 'floorCdf');
    // zeros through 2Φ(|s|)−1 are the null detector: NAB score 0, nothing found, no false alarm
    expect(floorCdf?.scores.standard).toBe(0);
    expect(floorCdf?.kinds.reduce((s, k) => s + k.found, 0)).toBe(0);
    expect(floorCdf?.clean).toEqual({ files: 2, withAlarm: 0 });
    const zms = r.rows.find((x) => x.recipe === 'zms');
    expect(zms?.kinds.map((k) => [k.kind, k.windows])).toEqual([
      ['flatline', 1],
      ['levelShiftUp', 1],
      ['spike', 1],
    ]);
    expect(zms?.perFile).toHaveLength(5);
    for (const f of zms?.perFile ?? []) if (f.windows > 0) expect(f.f1).toBeGreaterThanOrEqual(0);
    const text = formatBench(r);
    expect(text).toContain('(floor) tsad_floorLikelihood');
    expect(text).toContain('per kind');
  });

  it('labels a run over some files partial', async () => {
    const r = await runBench({
      corpus: dir,
      detectors: ['zms'],
      files: ['spike/spike_00.csv', 'clean/clean_00.csv'],
      outDir: join(dir, 'partial'),
      workers: 1,
    });
    expect(r.partial).toBe(true);
    expect(r.rows.every((x) => x.partial)).toBe(true);
    expect(formatBench(r)).toMatch(/^PARTIAL run/);
  });

  it('refuses a folder without labels and unknown recipes', async () => {
    await expect(runBench({ corpus: join(dir, 'data') })).rejects.toThrow(ConfigError);
    await expect(runBench({ corpus: dir, detectors: ['nope'] })).rejects.toThrow(/unknown detector "nope"/);
  });
});

describe('recipes', () => {
  it('carry their own score mapping', () => {
    expect(recipeMapping('zms')).toBe('cdf');
    expect(recipeMapping('zmsLikelihood')).toBe('likelihood');
    expect(recipeMapping('nabStream')).toBe('identity');
    expect(makeDetector('floorLikelihood').type).toBe('ZeroDetector');
  });
});

describe('runLocate', () => {
  it('locates a planted spike with ZMS and never with the zero floor', async () => {
    const r = await runLocate({ corpus: dir, detectors: ['zms', 'floorCdf'], files: ['spike/spike_00.csv'] });
    const zms = r.rows.find((x) => x.recipe === 'zms');
    const floor = r.rows.find((x) => x.recipe === 'floorCdf');
    expect(zms?.files[0].hit).toBe(true);
    expect(zms?.accuracy).toBe(1);
    // the zero detector's argmax is the first test point, far before the anomaly
    expect(floor?.files[0].hit).toBe(false);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZmsDetector } from '../../src/detectors/index.js';
import '../../src/index.js';
import { openTracker } from '../../src/index.js';
import { pointAlias } from '../../src/internal.js';
import {
  PROMOTION_TAGS,
  promote,
  promotionHistory,
  rollback,
  VERSION_TAGS,
} from '../../src/lifecycle/index.js';
import type { TimeSeries, Window } from '../../src/series/index.js';
import type { Tracker } from '../../src/tracking/index.js';
import { gate } from '../helpers/gate.js';
import { expectBadLabelWindow } from '../helpers/label-windows.js';
import { startMlflow } from '../helpers/mlflow-server.js';
import { startPostgres } from '../tracking/pg-server.js';

const T0 = Date.UTC(2024, 0, 1);
const STEP = 15 * 60_000;

function synthetic(n: number, off: number, spikes: [number, number][]): TimeSeries {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = off + i;
    t[i] = T0 + k * STEP;
    v[i] = 10 + Math.sin((2 * Math.PI * k) / 96) + Math.sin(k * 12.9898) * 0.3;
  }
  for (const [i, h] of spikes) for (let k = 0; k < 4; k++) v[i + k] += h;
  return { t, v };
}

const train = synthetic(960, 0, []);
// a large and a small spike: a low threshold finds both, a middling one the large one only, a huge one neither
const hold = synthetic(480, 960, [
  [100, 12],
  [300, 2],
]);
const labels: Window[] = [
  [hold.t[100], hold.t[103]],
  [hold.t[300], hold.t[303]],
];
const holdout = { series: hold, labels, prev: train };

/** Trains a ZMS detector with the given alarm threshold, logs it in a run and registers it. */
async function register(tracker: Tracker, name: string, almThreshold: number): Promise<number> {
  const det = new ZmsDetector({ seed: 0, threshold: { type: 'aggregateAlarms', almThreshold } });
  det.train(train);
  const runId = await tracker.run({ experiment: name }, async (run) => {
    await run.logModel(det);
    return run.id;
  });
  return (await tracker.registerModel(name, runId)).version;
}

async function champion(tracker: Tracker, name: string): Promise<unknown> {
  return tracker.loadModelJson(`models:/${name}@champion`);
}

async function promotionScenario(tracker: Tracker): Promise<void> {
  const name = 'promo-model';
  const middling = await register(tracker, name, 12); // F1 2/3
  const worse = await register(tracker, name, 50); // F1 0
  const better = await register(tracker, name, 4); // F1 1

  const first = await promote({ tracker, name, challenger: middling, holdout, metric: 'f1', margin: 0.05 });
  expect(first.decision).toBe('promoted');
  expect(first.previousChampion).toBeNull();
  expect(first.challengerScore).toBeCloseTo(2 / 3, 12);

  const rejected = await promote({ tracker, name, challenger: worse, holdout, metric: 'f1', margin: 0.05 });
  expect(rejected).toMatchObject({ decision: 'rejected', champion: middling, challengerScore: 0 });
  expect(rejected.reason).toMatch(
    /not better than champion by the margin: holdout f1 0 vs champion v1 0\.666667/,
  );
  expect((await tracker.getModelVersion(name, 'champion')).version).toBe(middling);
  // the rejected version is kept, with the decision and the reason as tags of the version
  expect((await tracker.getModelVersion(name, worse)).version).toBe(worse);
  const worseTags = await tracker.getModelVersionTags(name, worse);
  expect(worseTags[VERSION_TAGS.decision]).toBe('rejected');
  expect(worseTags[VERSION_TAGS.reason]).toBe(rejected.reason);
  expect(worseTags[VERSION_TAGS.previous('champion')]).toBeUndefined();
  // ... and its decision run carries them too
  const rejRun = await tracker.getRun(rejected.runId);
  expect(rejRun.data.tags[PROMOTION_TAGS.decision]).toBe('rejected');
  expect(rejRun.data.tags[PROMOTION_TAGS.version]).toBe(String(worse));
  expect(rejRun.data.tags[PROMOTION_TAGS.reason]).toBe(rejected.reason);

  const promoted = await promote({ tracker, name, challenger: better, holdout, metric: 'f1', margin: 0.05 });
  expect(promoted).toMatchObject({ decision: 'promoted', previousChampion: middling, champion: better });
  expect(promoted.challengerScore).toBe(1);
  expect(await champion(tracker, name)).toEqual(await tracker.loadModelJson(`models:/${name}/${better}`));
  const betterTags = await tracker.getModelVersionTags(name, better);
  expect(betterTags[VERSION_TAGS.decision]).toBe('promoted');
  expect(betterTags[VERSION_TAGS.previous('champion')]).toBe(String(middling));
  expect(betterTags[VERSION_TAGS.reason]).toMatch(
    /^better than champion: holdout f1 1 vs champion v1 0\.666667/,
  );
  // a challenger equal to the champion changes nothing
  const same = await promote({ tracker, name, challenger: better, holdout });
  expect(same).toMatchObject({
    decision: 'rejected',
    champion: better,
    reason: 'version 3 is already champion',
  });
  expect((await tracker.getModelVersionTags(name, better))[VERSION_TAGS.decision]).toBe('promoted');

  const back = await rollback(tracker, name);
  expect(back).toMatchObject({ from: better, to: middling });
  expect((await tracker.getModelVersion(name, 'champion')).version).toBe(middling);
  const served = await tracker.loadModel(`models:/${name}@champion`);
  expect(served.toJSON()).toEqual(await tracker.loadModelJson(`models:/${name}/${middling}`));
  expect((await tracker.getModelVersionTags(name, better))[VERSION_TAGS.decision]).toBe('rolled_back');
  await expect(rollback(tracker, name)).rejects.toThrow(/nothing to roll back to/);

  // a forced (manual) promotion of the rejected version, then two rollbacks walk back the chain
  const forced = await promote({ tracker, name, challenger: worse, force: true });
  expect(forced).toMatchObject({ decision: 'promoted', previousChampion: middling, champion: worse });
  expect(forced.reason).toMatch(/^forced: version 2 becomes champion without a holdout comparison/);
  await promote({ tracker, name, challenger: better, force: true });
  expect(await rollback(tracker, name)).toMatchObject({ from: better, to: worse });
  expect(await rollback(tracker, name)).toMatchObject({ from: worse, to: middling });
  expect((await tracker.getModelVersion(name, 'champion')).version).toBe(middling);

  const history = await promotionHistory(tracker, name);
  expect(history.map((r) => r.data.tags[PROMOTION_TAGS.decision]).sort()).toEqual(
    [
      'promoted',
      'promoted',
      'rejected',
      'rejected',
      'rollback',
      'promoted',
      'promoted',
      'rollback',
      'rollback',
    ].sort(),
  );
}

/**
 * Two promotions racing on one alias, each through its own tracker (as two processes would be):
 * both challengers beat the champion, but only one may take the alias; the other must not silently
 * replace it (it never compared itself with the winner) and says so.
 */
/**
 * Wraps trackers so that no model-version tag is written before two registry reads are done (two
 * racers both read the alias first); `aliasMove`, when given, runs each setAlias.
 */
function bothReadFirst(aliasMove?: (move: () => Promise<void>) => Promise<void>): (t: Tracker) => Tracker {
  let reads = 0;
  const bothRead = gate();
  return (t) =>
    new Proxy(t, {
      get(target, prop) {
        const f = Reflect.get(target, prop) as unknown;
        if (typeof f !== 'function') return f;
        if (prop === 'listRegisteredModels') {
          return async () => {
            const r = await target.listRegisteredModels();
            if (++reads === 2) bothRead.open();
            return r;
          };
        }
        if (prop === 'setAlias' && aliasMove) {
          return (...args: Parameters<Tracker['setAlias']>) => aliasMove(() => target.setAlias(...args));
        }
        if (prop === 'setModelVersionTag') {
          return async (...args: Parameters<Tracker['setModelVersionTag']>) => {
            await bothRead.wait;
            return target.setModelVersionTag(...args);
          };
        }
        return f.bind(target);
      },
    });
}

async function raceScenario(
  a: Tracker,
  b: Tracker,
  opts: { oneAliasMoveAtATime?: boolean } = {},
): Promise<void> {
  const name = 'race-model';
  const middling = await register(a, name, 12); // F1 2/3
  await promote({ tracker: a, name, challenger: middling, holdout });
  const one = await register(a, name, 4); // F1 1
  const two = await register(b, name, 5); // F1 1 too (the large spike and the small one)
  // the race made certain: neither promotion writes before both have read the champion
  let aliasMoves = Promise.resolve();
  const oneAtATime = async (move: () => Promise<void>): Promise<void> => {
    const turn = aliasMoves;
    const done = gate();
    aliasMoves = done.wait;
    await turn;
    try {
      return await move();
    } finally {
      done.open();
    }
  };
  // MLflow has no conditional alias update: the client's check and the move are two requests, so two
  // moves sent in the same instant can both pass (the documented window); there they follow each
  // other, and the second must see the first
  const gated = bothReadFirst(opts.oneAliasMoveAtATime ? oneAtATime : undefined);
  const [d1, d2] = await Promise.all([
    promote({ tracker: gated(a), name, challenger: one, holdout }),
    promote({ tracker: gated(b), name, challenger: two, holdout }),
  ]);
  const decisions = [d1, d2];
  const won = decisions.filter((d) => d.decision === 'promoted');
  expect(won).toHaveLength(1);
  const lost = decisions.find((d) => d.decision === 'rejected')!;
  expect(lost.reason).toMatch(
    /champion moved to version \d+ while this promotion compared version \d+ with version 1; run promote again/,
  );
  expect(lost.champion).toBe(won[0].challenger);
  expect((await a.getModelVersion(name, 'champion')).version).toBe(won[0].challenger);
  expect((await a.getModelVersionTags(name, lost.challenger))[VERSION_TAGS.decision]).toBe('rejected');
  // the chain is intact: rolling back from the winner returns to the champion both compared with
  expect(await rollback(b, name)).toMatchObject({ from: won[0].challenger, to: middling });
}

describe('two promotions racing on one alias', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('local file store (two trackers on one store)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsad-race-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const [a, b] = [openTracker(`file:${dir}`), openTracker(`file:${dir}`)];
    await raceScenario(a, b);
    await Promise.all([a.close(), b.close()]);
  });

  it('PostgreSQL (two trackers, two pools)', async () => {
    const pg = await startPostgres();
    cleanups.push(() => pg.stop());
    const [a, b] = [openTracker(`${pg.uri}?schema=race`), openTracker(`${pg.uri}?schema=race`)];
    await raceScenario(a, b);
    await Promise.all([a.close(), b.close()]);
  });

  it('the real MLflow server (two clients)', async () => {
    const server = await startMlflow({ backend: 'sqlite' });
    cleanups.push(() => server.close());
    const [a, b] = [openTracker(server.url), openTracker(server.url)];
    await raceScenario(a, b, { oneAliasMoveAtATime: true });
    await Promise.all([a.close(), b.close()]);
  });
});

describe('two tsad train --alias at once (pointAlias; rev44)', () => {
  it('on the local store both succeed, the second re-reads the alias, and rollback walks both back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsad-point-'));
    const [a, b] = [openTracker(`file:${dir}`), openTracker(`file:${dir}`)];
    try {
      const name = 'pointed-race';
      const first = await register(a, name, 12);
      await pointAlias(a, name, 'champion', first);
      const [one, two] = [await register(a, name, 50), await register(b, name, 5)];
      // neither writes before both have read the alias (the race made certain)
      const gated = bothReadFirst();
      const before = await Promise.all([
        pointAlias(gated(a), name, 'champion', one),
        pointAlias(gated(b), name, 'champion', two),
      ]);
      const last = (await a.getModelVersion(name, 'champion')).version;
      const other = last === one ? two : one;
      // the one that moved it second saw the first's move, not the champion both read at first
      expect(before[last === one ? 0 : 1]).toBe(other);
      expect(before[last === one ? 1 : 0]).toBe(first);
      expect(await rollback(b, name)).toMatchObject({ from: last, to: other });
      expect(await rollback(b, name)).toMatchObject({ from: other, to: first });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('promote and rollback on every tracker backend', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('memory', async () => {
    const tracker = openTracker('memory:');
    await promotionScenario(tracker);
    await tracker.close();
  });

  it('local file store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsad-promote-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const tracker = openTracker(`file:${dir}`);
    await promotionScenario(tracker);
    await tracker.close();
  });

  it('PostgreSQL', async () => {
    const pg = await startPostgres();
    cleanups.push(() => pg.stop());
    const tracker = openTracker(`${pg.uri}?schema=promote`);
    await promotionScenario(tracker);
    await tracker.close();
  });

  it('the real MLflow server', async () => {
    const server = await startMlflow({ backend: 'sqlite' });
    cleanups.push(() => server.close());
    const tracker = openTracker(server.url);
    await promotionScenario(tracker);
    await tracker.close();
  });

  it('pointAlias records what the alias replaced (rollback moves it back); an alias moved by setAlias alone is named as such (audit43)', async () => {
    const tracker = openTracker('memory:');
    const name = 'pointed';
    const a = await register(tracker, name, 12);
    const b = await register(tracker, name, 50);
    expect(await pointAlias(tracker, name, 'champion', a)).toBeNull();
    expect(await pointAlias(tracker, name, 'champion', b)).toBe(a);
    expect(await pointAlias(tracker, name, 'champion', b)).toBe(b); // already there: nothing written
    expect((await tracker.getModelVersionTags(name, b))[VERSION_TAGS.previous('champion')]).toBe(String(a));
    expect(await rollback(tracker, name)).toMatchObject({ from: b, to: a });
    await expect(rollback(tracker, name)).rejects.toThrow(/version 1, which replaced no earlier champion/);
    // setAlias leaves no record: the message says so instead of 'replaced no earlier champion'
    await tracker.setAlias(name, 'champion', b);
    await tracker.setAlias(name, 'prod', a);
    await tracker.setAlias(name, 'prod', b);
    await expect(rollback(tracker, name, { alias: 'prod' })).rejects.toMatchObject({
      code: 'no_previous',
      message: expect.stringMatching(
        /version 2, which carries no record of the version it replaced \(the alias was moved by setAlias.*tsad models promote pointed VERSION --alias prod$/,
      ),
    });
    await tracker.close();
  });

  it('a challenger that ties the champion (same holdout F1, margin 0) is rejected and the champion stays', async () => {
    const tracker = openTracker('memory:');
    const name = 'tie';
    const first = await register(tracker, name, 12);
    const same = await register(tracker, name, 12); // the same model trained again: the same F1
    await promote({ tracker, name, challenger: first, holdout });
    const d = await promote({ tracker, name, challenger: same, holdout });
    expect(d.challengerScore).toBe(d.championScore);
    expect(d).toMatchObject({ decision: 'rejected', champion: first, previousChampion: first });
    expect(d.reason).toMatch(
      /^not better than champion by the margin: holdout f1 0\.666667 vs champion v1 0\.666667, margin 0$/,
    );
    expect((await tracker.getModelVersion(name, 'champion')).version).toBe(first);
    await tracker.close();
  });

  it('a rollback that finds the alias moved (alias_moved) tags nothing rolled_back', async () => {
    const tracker = openTracker('memory:');
    const name = 'rollback-race';
    const one = await register(tracker, name, 12);
    const two = await register(tracker, name, 4);
    const three = await register(tracker, name, 4);
    await promote({ tracker, name, challenger: one, force: true });
    await promote({ tracker, name, challenger: two, force: true });
    // another process moves the alias after this rollback read it (between its reads and its move)
    let moved = false;
    const racing = new Proxy(tracker, {
      get(target, prop, recv) {
        const f = Reflect.get(target, prop, recv);
        if (prop === 'getModelVersionTags' && !moved) {
          return async (...args: Parameters<Tracker['getModelVersionTags']>) => {
            const tags = await target.getModelVersionTags(...args);
            moved = true;
            await target.setAlias(name, 'champion', three);
            return tags;
          };
        }
        return typeof f === 'function' ? f.bind(target) : f;
      },
    });
    await expect(rollback(racing, name)).rejects.toMatchObject({ code: 'alias_moved' });
    expect((await tracker.getModelVersion(name, 'champion')).version).toBe(three);
    expect((await tracker.getModelVersionTags(name, two))[VERSION_TAGS.decision]).toBe('promoted');
    await tracker.close();
  });

  it('rejects bad options before writing anything', async () => {
    const tracker = openTracker('memory:');
    await expect(
      promote({ tracker, name: 'x', challenger: 1, holdout, metric: 'auc' as 'f1' }),
    ).rejects.toThrow(/metric must be one of/);
    await expect(promote({ tracker, name: 'x', challenger: 1, holdout, margin: -1 })).rejects.toThrow(
      /margin/,
    );
    await expect(promote({ tracker, name: 'x', challenger: 1, holdout })).rejects.toThrow(/registerModel/);
    await expect(promote({ tracker, name: 'x', challenger: 1 })).rejects.toThrow(
      /needs a holdout .* or force/,
    );
    // no model "x" at all: said so (fix44; it used to say x had no champion alias)
    await expect(rollback(tracker, 'x')).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/no registered model named "x".*tsad models list/),
    });
    expect(await tracker.listExperiments()).toEqual([]);
    await tracker.close();
  });

  it("holdout labels: a window that is not [start, end] of finite epoch ms, start ≤ end, is refused by its index as simulate's are, before any model is scored or anything written (fix31)", async () => {
    // before: an object window read as a 0/1 label list (MetricsError length_mismatch 'truth has 2 labels'),
    // an Infinity end counted every later point anomalous, a non-array labels threw a raw TypeError
    const tracker = openTracker('memory:');
    const name = 'labels-model';
    const v1 = await register(tracker, name, 12);
    const good = labels[0];
    for (const [bad, what] of [
      [[hold.t[300], Number.NaN], /holdout\.labels\[1\]: expected \[start, end\] .*got \[\d+,NaN\]/],
      [
        [hold.t[300], Number.POSITIVE_INFINITY],
        /holdout\.labels\[1\]: expected \[start, end\] .*got \[\d+,Infinity\]/,
      ],
      [
        { start: hold.t[300], end: hold.t[303] },
        /holdout\.labels\[1\]: expected \[start, end\] .*got an object/,
      ],
      [[hold.t[303], hold.t[300]], /holdout\.labels\[1\]: its end .* is before its start/],
      [
        ['2024-01-12', '2024-01-13'],
        /holdout\.labels\[1\]: expected \[start, end\] .*got \["2024-01-12","2024-01-13"\]/,
      ],
    ] as const) {
      await expectBadLabelWindow(
        promote({
          tracker,
          name,
          challenger: v1,
          holdout: { series: hold, labels: [good, bad as never], prev: train },
        }),
        what,
      );
    }
    await expect(
      promote({ tracker, name, challenger: v1, holdout: { series: hold, labels: 'x' as never } }),
    ).rejects.toMatchObject({
      name: 'LifecycleError',
      code: 'bad_option',
      message: expect.stringMatching(/^holdout\.labels: expected an array of \[start, end\] windows/),
    });
    // nothing decided, nothing tagged, no decision run
    expect(await tracker.getModelVersionTags(name, v1)).not.toHaveProperty(VERSION_TAGS.decision);
    expect((await tracker.listExperiments()).map((e) => e.name)).not.toContain(`${name}-promotion`);
    await tracker.close();
  });
});

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RunNotActiveError } from '../../src/index.js';
import { likeToRegExp, newParams, validateArtifactPath, withRun } from '../../src/internal.js';
import {
  BaseTracker,
  classifyUri,
  datasetDigest,
  defaultTrackingUri,
  type FilterClause,
  flattenParams,
  formatFilter,
  openMemoryTracker,
  openTracker,
  ParamConflictError,
  parseFilter,
  parseModelUri,
  parseOrderBy,
  type Run,
  redactUri,
  TrackingValidationError,
} from '../../src/tracking/index.js';

describe('filter syntax', () => {
  it('parses MLflow-style clauses', () => {
    expect(
      parseFilter(
        `metrics.f1 >= 0.5 AND params.model = 'zms' and tags."my tag" LIKE 'a%' and metric.\`odd key\` < -1e3 and attributes.status != "FAILED" and run_name ILIKE '%x%' and params.a.b = 'c'`,
      ),
    ).toEqual([
      { entity: 'metric', key: 'f1', op: '>=', value: 0.5 },
      { entity: 'param', key: 'model', op: '=', value: 'zms' },
      { entity: 'tag', key: 'my tag', op: 'LIKE', value: 'a%' },
      { entity: 'metric', key: 'odd key', op: '<', value: -1000 },
      { entity: 'attribute', key: 'status', op: '!=', value: 'FAILED' },
      { entity: 'attribute', key: 'run_name', op: 'ILIKE', value: '%x%' },
      { entity: 'param', key: 'a.b', op: '=', value: 'c' },
    ]);
    expect(parseFilter('')).toEqual([]);
    expect(parseOrderBy('metrics.f1 DESC')).toEqual({ entity: 'metric', key: 'f1', direction: 'DESC' });
    expect(parseOrderBy('attributes.start_time')).toEqual({
      entity: 'attribute',
      key: 'start_time',
      direction: 'ASC',
    });
  });

  it('rejects malformed filters with a typed error', () => {
    for (const bad of [
      'f1 > 0.5',
      'metrics.f1 > 0.5 OR metrics.f1 < 0.1',
      "metrics.f1 > 'high'",
      'params.model > 3',
      "params.model = 'unterminated",
      'metrics.f1 >',
      'metrics.f1 > 0.5 and',
      'attributes.nope = 1',
      "metrics.f1 LIKE '%'",
      "params.x = 'a'; DROP TABLE runs",
    ]) {
      expect(() => parseFilter(bad), bad).toThrow(TrackingValidationError);
    }
  });

  it('property: formatFilter → parseFilter round-trips any clauses', () => {
    const key = fc.stringMatching(/^[A-Za-z0-9_.\- /:]{1,12}$/);
    const str = fc.string({ maxLength: 12 });
    const clause: fc.Arbitrary<FilterClause> = fc.oneof(
      fc.record({
        entity: fc.constant('metric' as const),
        key,
        op: fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const),
        value: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
      }),
      fc.record({
        entity: fc.constantFrom('param', 'tag' as const),
        key,
        op: fc.constantFrom('=', '!=', 'LIKE', 'ILIKE' as const),
        value: str,
      }),
    );
    fc.assert(
      fc.property(fc.array(clause, { maxLength: 4 }), (cs) => {
        expect(parseFilter(formatFilter(cs))).toEqual(cs);
      }),
    );
  });

  it('LIKE: % and _ wildcards, backslash escapes, ILIKE ignores case', () => {
    expect(likeToRegExp('a%', false).test('abc')).toBe(true);
    expect(likeToRegExp('a_c', false).test('abc')).toBe(true);
    expect(likeToRegExp('a_c', false).test('abbc')).toBe(false);
    expect(likeToRegExp('100\\%', false).test('100%')).toBe(true);
    expect(likeToRegExp('100\\%', false).test('1000')).toBe(false);
    expect(likeToRegExp('A.B', true).test('a.b')).toBe(true);
    expect(likeToRegExp('A.B', true).test('aXb')).toBe(false);
  });
});

describe('params, digests, paths, URIs', () => {
  it('flattens configs and enforces immutability', () => {
    expect(
      flattenParams({ a: { b: { c: 1 } }, d: [1, 'x'], e: {}, f: Number.NaN, g: 'str', h: false }),
    ).toEqual([
      { key: 'a.b.c', value: '1' },
      { key: 'd', value: '[1,"x"]' },
      { key: 'e', value: '{}' },
      { key: 'f', value: 'NaN' },
      { key: 'g', value: 'str' },
      { key: 'h', value: 'false' },
    ]);
    // a param's stored text is JSON's (NaN inside an array is null), not a message's jsonForMessage (fix41)
    expect(flattenParams({ d: [1, Number.NaN] })).toEqual([{ key: 'd', value: '[1,null]' }]);
    expect(
      newParams('r', { a: '1' }, [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]),
    ).toEqual([{ key: 'b', value: '2' }]);
    expect(() =>
      newParams('r', {}, [
        { key: 'a', value: '1' },
        { key: 'a', value: '2' },
      ]),
    ).toThrow(ParamConflictError);
  });

  it('property: the dataset digest is sha256 of float64 LE timestamps then values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double(), fc.double()), { maxLength: 30 }), (pairs) => {
        const t = Float64Array.from(pairs.map((p) => p[0]));
        const v = Float64Array.from(pairs.map((p) => p[1]));
        const b = Buffer.alloc(16 * pairs.length);
        pairs.forEach((p, i) => {
          b.writeDoubleLE(p[0], 8 * i);
          b.writeDoubleLE(p[1], 8 * (pairs.length + i));
        });
        expect(datasetDigest({ t, v })).toBe(createHash('sha256').update(b).digest('hex'));
      }),
    );
    // a subarray view hashes its own elements only
    const big = Float64Array.of(9, 1, 2, 9);
    expect(datasetDigest({ t: big.subarray(1, 3), v: big.subarray(1, 3) })).toBe(
      datasetDigest({ t: Float64Array.of(1, 2), v: Float64Array.of(1, 2) }),
    );
  });

  it('property: accepted artifact paths normalise to themselves inside the root', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (p) => {
        let ok = true;
        try {
          validateArtifactPath(p);
        } catch (err) {
          expect(err).toBeInstanceOf(TrackingValidationError);
          ok = false;
        }
        if (ok) {
          expect(p.startsWith('/')).toBe(false);
          expect(p.split('/').some((s) => s === '..' || s === '.' || s === '')).toBe(false);
          expect(p.includes('\u0000')).toBe(false);
        }
      }),
    );
  });

  it('parses model URIs', () => {
    expect(parseModelUri('models:/detector@champion')).toEqual({
      kind: 'registry',
      name: 'detector',
      alias: 'champion',
    });
    expect(parseModelUri('models:/detector/3')).toEqual({ kind: 'registry', name: 'detector', version: 3 });
    expect(parseModelUri('models:/detector/latest')).toEqual({
      kind: 'registry',
      name: 'detector',
      alias: 'latest',
    });
    expect(parseModelUri('runs:/0123abcd/model')).toEqual({ kind: 'run', runId: '0123abcd', path: 'model' });
    for (const bad of [
      'models:/',
      'models:/x',
      'models:/x/0',
      'models:/x/1.5',
      'models:/../x/1',
      'runs:/id',
      'http://x',
    ]) {
      expect(() => parseModelUri(bad), bad).toThrow(TrackingValidationError);
    }
  });

  it('chooses backends by URI; default from TSAD_TRACKING_URI, then MLFLOW_TRACKING_URI', () => {
    expect(classifyUri('file:./runs').kind).toBe('file');
    expect(classifyUri('file:///tmp/x')).toEqual({ kind: 'file', path: '/tmp/x' });
    expect(classifyUri('/abs/dir')).toEqual({ kind: 'file', path: '/abs/dir' });
    expect(classifyUri('memory:')).toEqual({ kind: 'memory', name: '' });
    expect(classifyUri('postgresql://h/db').kind).toBe('sql');
    expect(classifyUri('postgres://h/db').kind).toBe('sql');
    expect(classifyUri('crate://h').kind).toBe('sql');
    expect(classifyUri('https://mlflow.example').kind).toBe('mlflow');
    expect(() => openTracker('ftp://x')).toThrow(/unknown scheme/);
    expect(() => openTracker('')).toThrow(/the URI is empty/); // not the working directory
    // JavaScript callers: a URI that is not a string is named as what it is, not called empty
    expect(() => openTracker(5 as never)).toThrow(/the URI must be a string.*got a number \(5\)/);
    expect(() => openTracker(new URL('file:///tmp/x') as never)).toThrow(
      /the URI must be a string.*got a URL object: pass its \.href/,
    );
    expect(() => openTracker(null as never)).toThrow(/the URI must be a string.*got null/);
    // an object or a function is named by its kind, never printed whole (its source, a long array)
    const said = (x: unknown): string => {
      try {
        openTracker(x as never);
      } catch (err) {
        return (err as Error).message;
      }
      return 'opened';
    };
    const fn = (): string => 'file:./some-secret-looking-body';
    expect(said(fn)).toMatch(/got a function;/);
    expect(said(fn)).not.toContain('some-secret-looking-body');
    expect(said(Array.from({ length: 100_000 }, () => 'x'))).toMatch(/got an array;/);
    expect(said({ uri: 'file:x' })).toMatch(/got an object;/);
    expect(defaultTrackingUri({})).toBe('file:./tsad-runs');
    expect(defaultTrackingUri({ MLFLOW_TRACKING_URI: 'http://m' })).toBe('http://m');
    expect(defaultTrackingUri({ MLFLOW_TRACKING_URI: 'http://m', TSAD_TRACKING_URI: 'memory:' })).toBe(
      'memory:',
    );
    expect(redactUri('postgres://u:pw@h/db')).toBe('postgres://u:***@h/db');
    expect(openTracker('https://u:pw@mlflow.example').uri).not.toContain('pw');
  });

  it('memory:<name> shares a store within the process', async () => {
    const a = openTracker('memory:shared-test');
    const b = openTracker('memory:shared-test');
    const id = await a.run({ experiment: 'x' }, (run) => run.id);
    expect((await b.getRun(id)).info.runId).toBe(id);
    await expect(openTracker('memory:').getRun(id)).rejects.toThrow(/no run/);
  });
});

describe('withRun', () => {
  it("rethrows the callback's error even when recording it fails", async () => {
    const tracker = openTracker('memory:');
    const run = await tracker.startRun({ experiment: 'w' });
    const broken = new Proxy(run, {
      get(target, prop) {
        if (prop === 'setTag') return async () => Promise.reject(new Error('backend down'));
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Run;
    const boom = new Error('boom');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    await expect(
      withRun(broken, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(warnings.some((w) => w.includes('backend down'))).toBe(true);
    expect((await tracker.getRun(run.id)).info.status).toBe('FAILED');
  });
});

describe('ending a run', () => {
  it('two ends at once (a signal handler and the command): the first wins, the second is run_not_active, and the status says so from the call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsad-end-twice-'));
    try {
      for (const tracker of [openTracker('memory:'), openTracker(`file:${join(dir, 'store')}`)]) {
        const run = await tracker.startRun({ experiment: 'end-twice' });
        const first = run.end('KILLED');
        // the claim is seen at once: withRun and the interrupt handler decide by the status
        expect(run.status).toBe('KILLED');
        const second = run.end('FINISHED');
        await expect(second).rejects.toBeInstanceOf(RunNotActiveError);
        await first;
        expect(run.status).toBe('KILLED');
        expect((await tracker.getRun(run.id)).info.status).toBe('KILLED');
        // withRun does not end a run already ending
        const r2 = await tracker.startRun({ experiment: 'end-twice' });
        let killing: Promise<void> | undefined;
        const ended = await withRun(r2, async () => {
          killing = r2.end('KILLED');
          return 'done';
        });
        expect(ended).toBe('done');
        await killing;
        expect((await tracker.getRun(r2.id)).info.status).toBe('KILLED');
        await tracker.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an end whose write fails leaves the run RUNNING, to be ended again', async () => {
    const tracker = openTracker('memory:');
    const run = await tracker.startRun({ experiment: 'end-fails' });
    const store = (run as unknown as { store: { writeEnd: (...a: unknown[]) => Promise<void> } }).store;
    const writeEnd = store.writeEnd.bind(store);
    store.writeEnd = async () => Promise.reject(new Error('backend down'));
    await expect(run.end('FINISHED')).rejects.toThrow('backend down');
    expect(run.status).toBe('RUNNING');
    store.writeEnd = writeEnd;
    await run.end('FINISHED');
    expect((await tracker.getRun(run.id)).info.status).toBe('FINISHED');
    await tracker.close();
  });
});

describe('run inputs that are not what the method takes', () => {
  it('tracker.run without a function (JavaScript callers) is refused before any run is recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsad-run-fn-'));
    try {
      for (const tracker of [openTracker('memory:'), openTracker(`file:${join(dir, 'store')}`)]) {
        for (const fn of [undefined, 'train', { run: () => 1 }]) {
          const p = tracker.run({ experiment: 'no-fn' }, fn as never);
          await expect(p).rejects.toBeInstanceOf(TrackingValidationError);
          await expect(p).rejects.toMatchObject({ code: 'invalid_run_options' });
          await expect(p).rejects.toThrow(/tracker\.run\(options, fn\).*a function.*got/);
        }
        // no FAILED (or RUNNING) run was left behind, and the experiment was not created either
        expect(await tracker.searchRuns({})).toEqual([]);
        expect(await tracker.listExperiments()).toEqual([]);
        await tracker.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logParams and logModel reject them with TrackingValidationError', async () => {
    const tracker = openTracker('memory:');
    await tracker.run({ experiment: 'bad-inputs' }, async (run) => {
      await expect(run.logParams(null as never)).rejects.toThrow(
        /logParams expects an object of params.*got null/,
      );
      await expect(run.logParams([1, 2] as never)).rejects.toThrow(/got an array/);
      await expect(run.logParams(new Map() as never)).rejects.toThrow(/got a Map/);
      await expect(run.logModel({} as never)).rejects.toThrow(/toJSON\(\) method.*got an object/);
      await expect(run.logModel({} as never)).rejects.toBeInstanceOf(TrackingValidationError);
    });
    await tracker.close();
  });
});

describe('logModel', () => {
  it('truncates over-long config values in params; the model file keeps them whole', async () => {
    const tracker = openTracker('memory:');
    const long = Array.from({ length: 3000 }, (_, i) => i);
    const model = {
      type: 'big',
      config: { weights: long, k: 1 },
      toJSON: () => ({ config: { weights: long } }),
    };
    const id = await tracker.run({ experiment: 'lm' }, async (run) => {
      await run.logModel(model);
      return run.id;
    });
    const r = await tracker.getRun(id);
    expect(r.data.params['model.config.weights'].length).toBe(6000);
    expect(r.data.params['model.config.weights'].endsWith('...[truncated]')).toBe(true);
    expect(r.data.params['model.config.k']).toBe('1');
    const json = (await tracker.loadModelJson(`runs:/${id}/model`)) as { config: { weights: number[] } };
    expect(json.config.weights).toEqual(long);
  });

  it('a model whose toJSON() version is not a finite number logs whole, as one without a version', async () => {
    const tracker = openTracker('memory:');
    for (const version of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const model = { type: 'odd', config: {}, toJSON: () => ({ format: 'tsad-model', version, a: 1 }) };
      const id = await tracker.run({ experiment: 'lm-version' }, async (run) => {
        await run.logModel(model);
        return run.id;
      });
      const json = (await tracker.loadModelJson(`runs:/${id}/model`)) as { a: number };
      expect(json.a).toBe(1);
    }
    await tracker.close();
  });
});

describe('endTime from plain JS (fix30)', () => {
  // endTime is typed `number` (optional) and documented as "default now": null is no way to say now; the
  // refusal says what to pass, and the run is left as it was
  it('run.end and tracker.endRun refuse a null endTime, saying to leave it out for now or pass epoch ms', async () => {
    const t = openTracker('memory:end-time-null');
    const run = await t.startRun({ experiment: 'e' });
    const want =
      /endTime must be an integer of epoch ms \(such as Date\.now\(\)\), got null; leave endTime out to end the run now/;
    await expect(run.end('FINISHED', { endTime: null as never })).rejects.toThrow(want);
    await expect(run.end('FINISHED', { endTime: null as never })).rejects.toMatchObject({
      code: 'invalid_value',
    });
    expect((await t.getRun(run.id)).info.status).toBe('RUNNING');
    await expect(t.endRun(run.id, 'FAILED', { endTime: null as never })).rejects.toThrow(want);
    await expect(t.endRun(run.id, 'FAILED', { endTime: 1.5 })).rejects.toThrow(/got 1\.5;/);
    expect((await t.getRun(run.id)).info.status).toBe('RUNNING');
    await run.end('FINISHED');
    expect((await t.getRun(run.id)).info.status).toBe('FINISHED');
  });
});

describe('a latest lookup that raced a registration (fix30)', () => {
  // `latest` of a model that did not exist yet was looked up, and another process registered the model's
  // first version before the message was worded from the registry's listing: it read 'has no version
  // undefined; its versions are 1 to 1'
  it('says the model had no version when looked up and has one now, never "version undefined"', async () => {
    const mine = openMemoryTracker('latest-race');
    const other = openMemoryTracker('latest-race'); // the other process (the same registry)
    const runId = await mine.run({ experiment: 'e' }, async (run) => {
      await run.logArtifact({ name: 'model/model.json', bytes: '{"type":"zms","config":{}}' });
      return run.id;
    });
    const store = (mine as unknown as { store: { registry: object } }).store;
    const racing = new Proxy(store.registry, {
      get: (target, key) => {
        const v = Reflect.get(target, key) as unknown;
        if (key !== 'getModelVersion' || typeof v !== 'function') return v;
        return async (name: string, arg: unknown) => {
          try {
            return await (v as (n: string, a: unknown) => Promise<unknown>).call(target, name, arg);
          } catch (err) {
            await other.registerModel(name, runId); // registered between the lookup and the listing
            throw err;
          }
        };
      },
    });
    const tracker = new BaseTracker(
      new Proxy(store, { get: (s, k) => (k === 'registry' ? racing : Reflect.get(s, k)) }) as never,
    );
    const err = await tracker.getModelVersion('late', 'latest').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'not_found' });
    expect((err as Error).message).not.toMatch(/undefined/);
    expect((err as Error).message).toMatch(
      /model "late" had no version when "latest" was looked up; it has versions 1 to 1 now \(registered meanwhile\): look it up again/,
    );
  });
});

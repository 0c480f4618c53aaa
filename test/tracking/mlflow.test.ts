import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import {
  authorizationHeader,
  chunkLogBatch,
  decodeMetricValue,
  encodeMetricValue,
  MLFLOW_BATCH_LIMITS,
  mlflowFilter,
  normalizeMetricValue,
  retryDelayMs,
} from '../../src/internal.js';
import {
  createMlflowTracker,
  MlflowApiError,
  type MlflowTrackerOptions,
  ParamConflictError,
  TrackingNotFoundError,
  TrackingValidationError,
} from '../../src/tracking/index.js';
import { type MlflowProxy, startMlflowProxy } from '../helpers/mlflow-proxy.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';

// The MLflow REST client against the real MLflow server (SQLite backend), one server for the file.
// Requests go through a recording proxy (test/helpers/mlflow-proxy.ts), so the tests see what was
// sent on the wire and what the real server answered; the retry tests have the proxy answer a
// transient status (429, 5xx, Retry-After) in the server's place, a fault the real server cannot
// be made to show on cue.
let server: MlflowServer;
let proxy: MlflowProxy;
const noEnv = {} as NodeJS.ProcessEnv;

function tracker(opts: MlflowTrackerOptions = {}) {
  return createMlflowTracker(proxy.url, { env: noEnv, sleep: async () => {}, ...opts });
}

/** A raw REST call to the real server (for what the Tracker interface does not do). */
async function rest(endpoint: string, body: unknown): Promise<void> {
  const res = await fetch(`${server.url}/api/2.0/mlflow/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  server = await startMlflow({ backend: 'sqlite' });
  proxy = await startMlflowProxy(server.url);
}, 180_000);
afterAll(async () => {
  await proxy?.close();
  await server?.close();
});
afterEach(() => {
  // The real server accepted every request the client sent, except the ones a test expected it to refuse.
  const refused = proxy.requests.filter((r) => r.forwarded && r.status >= 400 && !expectedRefusal(r));
  proxy.reset();
  expect(refused.map((r) => `${r.method} ${r.path} ${r.status} ${JSON.stringify(r.response)}`)).toEqual([]);
});
/** The first lookup of a new experiment is a 404, by design. */
const expectedRefusal = (r: { path: string; status: number }) =>
  r.path.endsWith('experiments/get-by-name') && r.status === 404;

const series = { t: Float64Array.from([0, 60_000, 120_000]), v: Float64Array.from([1, 2.5, Number.NaN]) };

describe('MLflow REST client: wire format', () => {
  it('creates experiment and run with start_time, run_name and the system tags', async () => {
    const t = tracker();
    const run = await t.startRun({ experiment: 'wire-exp', name: 'first', startTime: 1_700_000_000_123 });
    const gets = proxy.calls('experiments/get-by-name');
    expect(gets[0].query.experiment_name).toEqual(['wire-exp']);
    expect(gets[0].status).toBe(404);
    expect(proxy.calls('experiments/create')[0].json).toEqual({ name: 'wire-exp' });
    const create = proxy.calls('runs/create')[0].json as Record<string, unknown>;
    expect(create.start_time).toBe(1_700_000_000_123);
    expect(create.run_name).toBe('first');
    const tags = Object.fromEntries(
      (create.tags as { key: string; value: string }[]).map((x) => [x.key, x.value]),
    );
    expect(tags['mlflow.runName']).toBe('first');
    expect(typeof tags['mlflow.user']).toBe('string');
    expect(typeof tags['mlflow.source.name']).toBe('string');
    expect(tags['mlflow.source.type']).toBe('LOCAL');
    for (const v of Object.values(tags)) expect(typeof v).toBe('string');
    await run.end();
    const upd = proxy.calls('runs/update').at(-1)!.json as Record<string, unknown>;
    expect(upd.status).toBe('FINISHED');
    expect(Number.isInteger(upd.end_time)).toBe(true);
    expect((await t.getRun(run.id)).info.status).toBe('FINISHED');
  });

  it('sends params and tags as strings, metrics as numbers or "NaN"/"Infinity" with integer timestamps', async () => {
    const t = tracker();
    const runId = await t.run({ experiment: 'wire-exp', name: 'values' }, async (run) => {
      await run.logParams({ window: 10, nested: { alpha: 0.5, on: true }, list: [1, 2] });
      await run.setTags({ stage: 'dev' });
      await run.logMetric('nan', Number.NaN, { step: 1, timestamp: 1000 });
      await run.logMetric('inf', Number.POSITIVE_INFINITY, { step: 2, timestamp: 1001 });
      await run.logMetric('ninf', Number.NEGATIVE_INFINITY, { step: 3, timestamp: 1002 });
      await run.logMetric('f1', 0.75);
      return run.id;
    });
    const batches = proxy.calls('runs/log-batch').map((r) => r.json as Record<string, unknown[]>);
    const params = batches.flatMap((b) => (b.params ?? []) as { key: string; value: unknown }[]);
    expect(params).toContainEqual({ key: 'window', value: '10' });
    expect(params).toContainEqual({ key: 'nested.alpha', value: '0.5' });
    expect(params).toContainEqual({ key: 'nested.on', value: 'true' });
    expect(params).toContainEqual({ key: 'list', value: '[1,2]' });
    for (const p of params) expect(typeof p.value).toBe('string');
    const metrics = batches.flatMap((b) => (b.metrics ?? []) as Record<string, unknown>[]);
    expect(metrics.find((m) => m.key === 'nan')!.value).toBe('NaN');
    expect(metrics.find((m) => m.key === 'inf')!.value).toBe('Infinity');
    expect(metrics.find((m) => m.key === 'ninf')!.value).toBe('-Infinity');
    for (const m of metrics) {
      expect(Number.isInteger(m.timestamp)).toBe(true);
      expect(Number.isInteger(m.step)).toBe(true);
    }
    const f1 = metrics.find((m) => m.key === 'f1')!;
    expect(f1.value).toBe(0.75);
    // And they come back as numbers.
    const hist = await t.getMetricHistory(runId, 'nan');
    expect(Number.isNaN(hist[0].value)).toBe(true);
    const rec = await t.getRun(runId);
    expect(rec.data.metrics.inf.value).toBe(Number.POSITIVE_INFINITY);
    expect(rec.data.params['nested.alpha']).toBe('0.5');
    expect(rec.experiment).toBe('wire-exp');
    expect(rec.info.status).toBe('FINISHED');
  });

  it('chunks large batches to MLflow limits and keeps every point in order', async () => {
    const t = tracker();
    const run = await t.startRun({ experiment: 'chunks' });
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: 'loss',
      value: i / 7,
      step: i,
      timestamp: 5000 + i,
    }));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: `v${i}` }));
    const tags = Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(i) }));
    await run.logBatch({ metrics, params, tags });
    await run.end();
    const reqs = proxy.calls('runs/log-batch');
    for (const r of reqs) {
      const b = r.json as { metrics?: unknown[]; params?: unknown[]; tags?: unknown[] };
      const nm = b.metrics?.length ?? 0;
      const np = b.params?.length ?? 0;
      const nt = b.tags?.length ?? 0;
      expect(nm).toBeLessThanOrEqual(1000);
      expect(np).toBeLessThanOrEqual(100);
      expect(nt).toBeLessThanOrEqual(100);
      expect(nm + np + nt).toBeLessThanOrEqual(1000);
      expect(r.body.length).toBeLessThanOrEqual(1_000_000);
    }
    // 250 params + 150 tags + 2500 metrics = 2900 entities: at least 3 requests (1000 each).
    expect(reqs.length).toBeGreaterThanOrEqual(3);
    const hist = await t.getMetricHistory(run.id, 'loss');
    expect(hist.map((p) => p.step)).toEqual(metrics.map((m) => m.step));
    expect(hist.map((p) => p.value)).toEqual(metrics.map((m) => m.value));
    expect(Object.keys((await t.getRun(run.id)).data.params)).toHaveLength(250);
  });

  it('logs dataset inputs with the context input tag and a digest within 36 characters', async () => {
    const t = tracker();
    const [ds, runId] = await t.run(
      { experiment: 'datasets', name: 'd' },
      async (run) =>
        [
          await run.logDataset(series, {
            name: 'nab/machine_temperature',
            context: 'training',
            source: '/data/x.csv',
          }),
          run.id,
        ] as const,
    );
    const req = proxy.calls('runs/log-inputs')[0].json as {
      datasets: { tags: { key: string; value: string }[]; dataset: Record<string, string> }[];
    };
    expect(req.datasets[0].tags).toEqual([{ key: 'mlflow.data.context', value: 'training' }]);
    expect(req.datasets[0].dataset.digest).toBe(ds.digest.slice(0, 36));
    expect(req.datasets[0].dataset.name).toBe('nab/machine_temperature');
    const rec = await t.getRun(runId);
    expect(rec.inputs).toEqual([ds]);
  });

  it('searches runs with a filter string, order_by and max_results', async () => {
    const t = tracker();
    for (const [name, f1] of [
      ['a', 0.2],
      ['b', 0.9],
      ['c', 0.5],
    ] as const) {
      await t.run({ experiment: 'search', name }, async (run) => {
        await run.logParams({ detector: name === 'a' ? 'zms' : 'iforest' });
        await run.logMetric('f1', f1);
      });
    }
    const found = await t.searchRuns({
      experiment: 'search',
      filter: "metrics.f1 > 0.3 and params.detector = 'iforest'",
      orderBy: 'metrics.f1 DESC',
    });
    expect(found.map((r) => r.info.runName)).toEqual(['b', 'c']);
    const req = proxy.calls('runs/search')[0].json as Record<string, unknown>;
    expect(req.filter).toBe("metrics.f1 > 0.3 AND params.detector = 'iforest'");
    expect(req.order_by).toEqual(['metrics.f1 DESC']);
    expect(
      (await t.searchRuns({ experiment: 'search', maxResults: 1, orderBy: 'metrics.f1 ASC' }))[0].info
        .runName,
    ).toBe('a');
  });
});

describe('MLflow REST client: filter values MLflow cannot escape', () => {
  it('quotes with the other quote kind, and filters client-side what MLflow cannot express', async () => {
    const t = tracker();
    const values = ["it's", 'say "hi"', `both ' and "`, 'ends with \\', 'plain', 'back\\slash'];
    for (const v of values) {
      await t.run({ experiment: 'quotes', name: `r-${values.indexOf(v)}` }, (run) => run.setTag('note', v));
    }
    for (const v of values) {
      const found = await t.searchRuns({
        experiment: 'quotes',
        filter: [{ entity: 'tag', key: 'note', op: '=', value: v }],
      });
      expect(found.map((r) => r.data.tags.note)).toEqual([v]);
      const others = await t.searchRuns({
        experiment: 'quotes',
        filter: [{ entity: 'tag', key: 'note', op: '!=', value: v }],
      });
      expect(others).toHaveLength(values.length - 1);
    }
    const sent = proxy.calls('runs/search').map((r) => (r.json as { filter?: string }).filter);
    expect(sent).toContain(`tags.note = "it's"`);
    expect(sent).toContain(`tags.note = 'say "hi"'`);
    // Inexpressible values never reach the server; those clauses are applied client-side.
    for (const f of sent) expect(f ?? '').not.toContain('both');
    expect(mlflowFilter([{ entity: 'metric', key: 'f1', op: '>', value: Number.POSITIVE_INFINITY }])).toEqual(
      {
        server: '',
        local: [{ entity: 'metric', key: 'f1', op: '>', value: Number.POSITIVE_INFINITY }],
      },
    );
    expect(mlflowFilter([{ entity: 'param', key: 'my key', op: 'LIKE', value: 'a%' }]).server).toBe(
      "params.`my key` LIKE 'a%'",
    );
  });
});

describe('MLflow REST client: experiments, errors and params', () => {
  it('handles the experiment create race: RESOURCE_ALREADY_EXISTS re-reads by name', async () => {
    const [a, b] = [tracker(), tracker()];
    const ea = await a.getOrCreateExperiment('race');
    // b looked the name up just before a created it: the proxy answers b's lookup with the 404 it
    // would have got; b's create then meets the real server's RESOURCE_ALREADY_EXISTS
    proxy.inject({
      pathIncludes: 'experiments/get-by-name',
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Could not find experiment with name 'race'" },
    });
    const eb = await b.getOrCreateExperiment('race');
    expect(ea.experimentId).toBe(eb.experimentId);
    const creates = proxy.calls('experiments/create');
    expect(creates).toHaveLength(2);
    const lost = creates[1];
    expect(lost.status).toBe(400);
    expect((lost.response as { error_code: string }).error_code).toBe('RESOURCE_ALREADY_EXISTS');
    proxy.reset(); // that refusal was the point of the test
  });

  it('one tracker asked for one new experiment twice at once sends one create, and both calls get its id', async () => {
    // `tsad nab machine-temperature` looks its experiment up early and again when the run starts: two
    // creates of one name could leave two experiments of that name on MLflow's file store (CI68)
    const t = tracker();
    const names = Array.from({ length: 6 }, (_, i) => `twice-at-once-${i}`);
    const pairs = await Promise.all(
      names.map((n) => Promise.all([t.getOrCreateExperiment(n), t.getOrCreateExperiment(n)])),
    );
    for (const [x, y] of pairs) expect(x.experimentId).toBe(y.experimentId);
    const creates = proxy.calls('experiments/create').map((c) => (c.json as { name: string }).name);
    expect(creates.sort()).toEqual([...names].sort());
    // one lookup shared by both calls (the 404 that leads to the create, then the read after it): a
    // second lookup in flight is what can send a second create when the server is slower to create
    for (const n of names) {
      const lookups = proxy
        .calls('experiments/get-by-name')
        .filter((c) => c.query.experiment_name?.[0] === n);
      expect(lookups.map((c) => c.status)).toEqual([404, 200]);
    }
  });

  it('reports a changed param as ParamConflictError (client side, and when the server refuses)', async () => {
    const t = tracker();
    const run = await t.startRun({ experiment: 'params' });
    await run.logParam('lr', 0.1);
    await run.logParam('lr', 0.1);
    await expect(run.logParam('lr', 0.2)).rejects.toBeInstanceOf(ParamConflictError);
    // Another writer (a second process) tries to change it: the server says INVALID_PARAMETER_VALUE.
    await expect(
      t.sendBatch(run.id, { params: [{ key: 'lr', value: '0.3' }], metrics: [], tags: [] }),
    ).rejects.toBeInstanceOf(ParamConflictError);
    const refused = proxy.calls('runs/log-batch').at(-1)!;
    expect(refused.status).toBe(400);
    expect((refused.response as { error_code: string }).error_code).toBe('INVALID_PARAMETER_VALUE');
    proxy.reset(); // that refusal was the point of the test
    await run.end();
  });

  it('refuses to log into a deleted experiment with a message saying how to restore it', async () => {
    const t = tracker();
    const e = await t.getOrCreateExperiment('soon-deleted');
    await rest('experiments/delete', { experiment_id: e.experimentId });
    const err = await tracker()
      .startRun({ experiment: 'soon-deleted' })
      .catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TrackingError);
    expect((err as TrackingError).code).toBe('mlflow_experiment_deleted');
    expect((err as Error).message).toMatch(/restore/);
    expect(proxy.calls('runs/create')).toHaveLength(0);
  });

  it('maps RESOURCE_DOES_NOT_EXIST to TrackingNotFoundError', async () => {
    const t = tracker();
    await expect(t.getRun('0123456789abcdef0123456789abcdef')).rejects.toBeInstanceOf(TrackingNotFoundError);
    expect(await t.getExperiment('no-such-experiment')).toBeUndefined();
    await expect(t.getModelVersion('no-such-model', 1)).rejects.toBeInstanceOf(TrackingNotFoundError);
    proxy.reset(); // the real server's 404s were the point of the test
  });
});

describe('MLflow REST client: key validation before sending', () => {
  const bad = [
    'bad key!',
    'a\\b',
    '../up',
    '/abs',
    'a//b',
    '',
    'x'.repeat(251),
    'a\nb',
    'naïve?',
    '..x',
    '..',
    'a/.',
    'a/',
  ];
  it.each(bad)('rejects metric/param/tag key %j with a typed error and sends nothing', async (key) => {
    const t = tracker();
    const run = await t.startRun({ experiment: 'keys' });
    proxy.reset();
    await expect(run.logMetric(key, 1)).rejects.toBeInstanceOf(TrackingValidationError);
    await expect(run.logParam(key, 1)).rejects.toBeInstanceOf(TrackingValidationError);
    await expect(run.setTag(key, 'v')).rejects.toBeInstanceOf(TrackingValidationError);
    expect(proxy.calls('runs/log-batch')).toHaveLength(0);
    await run.end();
  });

  it('a key is either refused before sending or accepted by the server (never refused by MLflow)', async () => {
    const t = tracker();
    const run = await t.startRun({ experiment: 'keys' });
    const key = fc.stringMatching(/^[A-Za-z0-9_\-. :/!é\\]{0,14}$/);
    await fc.assert(
      fc.asyncProperty(key, async (k) => {
        const before = proxy.calls('runs/log-batch').length;
        try {
          await run.logMetric(k, 1);
        } catch (err) {
          expect(err).toBeInstanceOf(TrackingValidationError);
          expect(proxy.calls('runs/log-batch')).toHaveLength(before);
          return;
        }
        expect(proxy.calls('runs/log-batch').at(-1)!.status).toBe(200);
      }),
      { numRuns: 100 }, // each one a request to the real server
    );
    await run.end();
  });

  it('rejects an over-long dataset context before sending', async () => {
    const t = tracker();
    const run = await t.startRun({ experiment: 'keys' });
    await expect(run.logDataset(series, { name: 'x', context: 'c'.repeat(501) })).rejects.toBeInstanceOf(
      TrackingValidationError,
    );
    expect(proxy.calls('runs/log-inputs')).toHaveLength(0);
    await run.end();
  });
});

describe('MLflow REST client: retries and auth', () => {
  it('retries 429 honouring Retry-After, and 503/502/504/408 with exponential backoff', async () => {
    const delays: number[] = [];
    const t = tracker({ sleep: async (ms) => void delays.push(ms), backoffMs: 100, random: () => 1 });
    proxy.inject({
      status: 429,
      retryAfter: '2',
      count: 1,
      pathIncludes: 'experiments/get-by-name',
    });
    proxy.inject({ status: 503, count: 2, pathIncludes: 'experiments/create' });
    await t.getOrCreateExperiment('retry-exp');
    expect(delays).toEqual([2000, 100, 200]);
    for (const status of [502, 504, 408] as const) {
      delays.length = 0;
      proxy.inject({ status, count: 1, pathIncludes: 'experiments/get-by-name' });
      expect(await t.getExperiment('retry-exp')).toBeDefined();
      expect(delays).toEqual([100]);
    }
    const gets = proxy.calls('experiments/get-by-name');
    expect(gets.map((g) => g.status)).toContain(429);
  });

  it('honours an HTTP-date Retry-After and bounds every delay', async () => {
    const delays: number[] = [];
    const t = tracker({
      sleep: async (ms) => void delays.push(ms),
      backoffMs: 100,
      maxDelayMs: 5000,
      random: () => 1,
    });
    proxy.inject({ status: 503, retryAfter: '3600', count: 1, pathIncludes: 'get-by-name' });
    proxy.inject({
      status: 429,
      retryAfter: new Date(Date.now() + 60_000).toUTCString(),
      count: 1,
      pathIncludes: 'get-by-name',
    });
    await t.getExperiment('anything');
    expect(delays).toEqual([5000, 5000]);
  });

  it('gives up when the retry budget is spent; 500 is retried for idempotent calls only, 400 never', async () => {
    const delays: number[] = [];
    const t = tracker({
      sleep: async (ms) => void delays.push(ms),
      retryBudgetMs: 100,
      backoffMs: 10,
      random: () => 1,
    });
    proxy.inject({ status: 503, count: 10, pathIncludes: 'get-by-name' });
    const err = await t.getExperiment('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowApiError);
    expect((err as MlflowApiError).status).toBe(503);
    expect(delays).toEqual([10, 20, 40]); // the next (80 ms) would pass the 100 ms budget
    expect(proxy.calls('experiments/get-by-name')).toHaveLength(4);
    proxy.reset();
    delays.length = 0;
    proxy.inject({ status: 500, count: 1, pathIncludes: 'get-by-name' });
    expect(await t.getExperiment('x')).toBeUndefined(); // GET: retried, then answered
    expect(delays).toEqual([10]);
    proxy.reset();
    delays.length = 0;
    await t.getOrCreateExperiment('x');
    proxy.inject({ status: 500, count: 1, pathIncludes: 'runs/create' });
    await expect(t.startRun({ experiment: 'x' })).rejects.toBeInstanceOf(MlflowApiError); // may have run: never resent
    expect(proxy.calls('runs/create')).toHaveLength(1);
    expect(delays).toEqual([]);
    proxy.reset();
  });

  it('retryDelayMs: exponential with equal jitter, capped, Retry-After wins (capped too)', () => {
    fc.assert(
      fc.property(
        fc.nat(20),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (a, b, cap, j) => {
          const d = retryDelayMs(a, null, { backoffMs: b, maxDelayMs: cap }, Date.now(), j);
          const full = Math.min(cap, b * 2 ** a);
          expect(d).toBeGreaterThanOrEqual(Math.floor(full / 2));
          expect(d).toBeLessThanOrEqual(full);
          expect(retryDelayMs(a, '1.5', { backoffMs: b, maxDelayMs: cap })).toBe(Math.min(cap, 1500));
          expect(retryDelayMs(a, '120', { backoffMs: b, maxDelayMs: cap })).toBe(Math.min(cap, 120_000));
        },
      ),
    );
    expect(retryDelayMs(0, 'garbage', { backoffMs: 8, maxDelayMs: 100 }, 0, 1)).toBe(8);
    expect(retryDelayMs(0, new Date(0).toUTCString(), { backoffMs: 7, maxDelayMs: 100 }, 1000)).toBe(0);
  });

  it('sends basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD, from the URI, and bearer from MLFLOW_TRACKING_TOKEN', async () => {
    // (the real server's basic-auth app, with its 401, is in conformance-mlflow.test.ts; here the proxy shows the headers)
    const ok = createMlflowTracker(proxy.url, {
      env: { MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 's3cret:x' } as NodeJS.ProcessEnv,
    });
    await ok.getOrCreateExperiment('auth');
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(proxy.requests.every((r) => r.headers.authorization === `Basic ${btoa('ann:s3cret:x')}`)).toBe(
      true,
    );
    proxy.reset();
    // Credentials in the URI work too, and are not shown in tracker.uri.
    const u = new URL(proxy.url);
    u.username = 'ann';
    u.password = 's3cret:x';
    const viaUri = createMlflowTracker(u.toString(), { env: noEnv });
    expect(viaUri.uri).not.toContain('s3cret');
    expect(await viaUri.getExperiment('auth')).toBeDefined();
    expect(proxy.requests.every((r) => r.headers.authorization === `Basic ${btoa('ann:s3cret:x')}`)).toBe(
      true,
    );
    proxy.reset();
    const tok = createMlflowTracker(proxy.url, {
      env: { MLFLOW_TRACKING_TOKEN: 'tok-123' } as NodeJS.ProcessEnv,
    });
    await tok.run({ experiment: 'auth' }, (run) => run.logMetric('m', 1));
    expect(proxy.requests.length).toBeGreaterThan(3);
    expect(proxy.requests.every((r) => r.headers.authorization === 'Bearer tok-123')).toBe(true);
  });

  it('authorizationHeader follows MLflow: basic when username and password are both set, else the token', () => {
    const env = (e: Record<string, string>) => e as NodeJS.ProcessEnv;
    expect(authorizationHeader(env({ MLFLOW_TRACKING_TOKEN: 't', MLFLOW_TRACKING_USERNAME: 'u' }))).toBe(
      'Bearer t',
    );
    expect(
      authorizationHeader(
        env({ MLFLOW_TRACKING_TOKEN: 't', MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' }),
      ),
    ).toBe(`Basic ${btoa('u:p')}`);
    expect(authorizationHeader(noEnv, new URL('http://a%40b:p%3Aq@host:5000'))).toBe(
      `Basic ${btoa('a@b:p:q')}`,
    );
    expect(authorizationHeader(noEnv)).toBeUndefined();
  });

  it('retries a refused connection within the budget, then reports it as a TrackingError', async () => {
    const delays: number[] = [];
    const t = createMlflowTracker('http://127.0.0.1:1', {
      env: noEnv,
      retryBudgetMs: 1000,
      sleep: async (ms) => void delays.push(ms),
    });
    const err = await t.startRun({ experiment: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrackingError);
    expect((err as TrackingError).code).toBe('mlflow_unreachable');
    expect((err as Error).message).toMatch(/attempts in .* retry budget 1 s/);
    expect(delays.length).toBeGreaterThanOrEqual(2);
    expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
  });
});

describe('chunkLogBatch and metric value encoding (properties)', () => {
  it('every chunk is within the limits and concatenation preserves order per kind', () => {
    const kv = fc.record({
      key: fc.string({ minLength: 1, maxLength: 5 }),
      value: fc.string({ maxLength: 40 }),
    });
    const metric = fc.record({
      key: fc.string({ minLength: 1, maxLength: 5 }),
      value: fc.double(),
      step: fc.integer(),
      timestamp: fc.nat(),
    });
    const small = { metrics: 7, params: 3, tags: 2, total: 9, bytes: 400 };
    fc.assert(
      fc.property(
        fc.array(kv, { maxLength: 30 }),
        fc.array(kv, { maxLength: 30 }),
        fc.array(metric, { maxLength: 60 }),
        (params, tags, metrics) => {
          const chunks = chunkLogBatch({ params, tags, metrics }, small);
          for (const c of chunks) {
            expect(c.metrics.length).toBeLessThanOrEqual(small.metrics);
            expect(c.params.length).toBeLessThanOrEqual(small.params);
            expect(c.tags.length).toBeLessThanOrEqual(small.tags);
            const n = c.metrics.length + c.params.length + c.tags.length;
            expect(n).toBeGreaterThan(0);
            expect(n).toBeLessThanOrEqual(small.total);
          }
          expect(chunks.flatMap((c) => c.params)).toEqual(params);
          expect(chunks.flatMap((c) => c.tags)).toEqual(tags);
          expect(chunks.flatMap((c) => c.metrics).map((m) => decodeMetricValue(m.value))).toEqual(
            metrics.map((m) => normalizeMetricValue(m.value)),
          );
        },
      ),
    );
    expect(MLFLOW_BATCH_LIMITS).toMatchObject({ metrics: 1000, params: 100, tags: 100, total: 1000 });
  });

  it('encodeMetricValue gives JSON numbers for finite values and round-trips through JSON', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        const wire = JSON.parse(JSON.stringify({ v: encodeMetricValue(v) })).v as unknown;
        if (Number.isFinite(v)) expect(typeof wire).toBe('number');
        // ±Number.MAX_VALUE reads back as ±Infinity (MLflow's SQL stores cannot tell them apart)
        expect(Object.is(decodeMetricValue(wire), v === 0 ? wire : normalizeMetricValue(v)) || v === 0).toBe(
          true,
        );
      }),
    );
  });
});

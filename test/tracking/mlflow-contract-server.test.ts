/**
 * The contract server must itself refuse what MLflow refuses; otherwise passing it proves
 * nothing. These requests are written by hand from MLflow's API definition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlflowContractServer, startMlflowContractServer } from './mlflow-contract-server.js';

let s: MlflowContractServer;
let runId: string;

async function post(endpoint: string, body: unknown, contentType = 'application/json') {
  const res = await fetch(`${s.url}/api/2.0/mlflow/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
async function get(endpoint: string, query: Record<string, string>) {
  const res = await fetch(`${s.url}/api/2.0/mlflow/${endpoint}?${new URLSearchParams(query)}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  s = await startMlflowContractServer();
  const e = await post('experiments/create', { name: 'e' });
  const r = await post('runs/create', { experiment_id: e.body.experiment_id, start_time: 1 });
  runId = (r.body.run as { info: { run_id: string } }).info.run_id;
});
afterAll(() => s.close());

const metric = (over: Record<string, unknown>) => ({ key: 'm', value: 1, timestamp: 5, step: 0, ...over });

describe('contract server refuses what MLflow refuses', () => {
  it.each([
    ['metric value as a numeric string', { metrics: [metric({ value: '1.5' })] }],
    ['metric value as a boolean', { metrics: [metric({ value: true })] }],
    ['metric without timestamp', { metrics: [{ key: 'm', value: 1 }] }],
    ['metric with fractional timestamp', { metrics: [metric({ timestamp: 1.5 })] }],
    ['metric with fractional step', { metrics: [metric({ step: 0.5 })] }],
    ['param value as a number', { params: [{ key: 'p', value: 3 }] }],
    ['tag value as a boolean', { tags: [{ key: 't', value: false }] }],
    ['unknown field', { metrics: [metric({ unit: 'ms' })] }],
    ['101 params', { params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })) }],
    ['101 tags', { tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: 'v' })) }],
    ['1001 metrics', { metrics: Array.from({ length: 1001 }, () => metric({})) }],
    [
      '1001 entities in total',
      {
        metrics: Array.from({ length: 950 }, () => metric({})),
        params: Array.from({ length: 51 }, (_, i) => ({ key: `q${i}`, value: 'v' })),
      },
    ],
    ['a bad key character', { metrics: [metric({ key: 'f1(score)' })] }],
    ['a path-like key', { params: [{ key: '../x', value: 'v' }] }],
    ['a key starting with ..', { tags: [{ key: '..x', value: 'v' }] }],
    ['a param value over 6000 characters', { params: [{ key: 'long', value: 'x'.repeat(6001) }] }],
    [
      'duplicate param keys',
      {
        params: [
          { key: 'd', value: '1' },
          { key: 'd', value: '1' },
        ],
      },
    ],
  ])('log-batch with %s → 400 INVALID_PARAMETER_VALUE', async (_, extra) => {
    const r = await post('runs/log-batch', { run_id: runId, ...extra });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(typeof r.body.message).toBe('string');
  });

  it('accepts "NaN"/"Infinity"/"-Infinity" and integer strings for int64 (proto JSON)', async () => {
    const r = await post('runs/log-batch', {
      run_id: runId,
      metrics: [
        metric({ value: 'NaN' }),
        metric({ value: 'Infinity', timestamp: '6' }),
        metric({ value: '-Infinity' }),
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
  });

  it('refuses changing a param, allows re-logging the same value', async () => {
    expect(
      (await post('runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.1' }] })).status,
    ).toBe(200);
    expect(
      (await post('runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.1' }] })).status,
    ).toBe(200);
    const r = await post('runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.2' }] });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('uses MLflow error codes and statuses', async () => {
    const dup = await post('experiments/create', { name: 'e' });
    expect([dup.status, dup.body.error_code]).toEqual([400, 'RESOURCE_ALREADY_EXISTS']);
    const missing = await get('runs/get', { run_id: 'ffffffffffffffffffffffffffffffff' });
    expect([missing.status, missing.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const noExp = await get('experiments/get-by-name', { experiment_name: 'nope' });
    expect([noExp.status, noExp.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const noName = await post('experiments/create', {});
    expect([noName.status, noName.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const wrongType = await post('runs/log-batch', JSON.stringify({ run_id: runId }), 'text/plain');
    expect([wrongType.status, wrongType.body.error_code]).toEqual([400, 'BAD_REQUEST']);
    const badStatus = await post('runs/update', { run_id: runId, status: 'DONE' });
    expect(badStatus.status).toBe(400);
    const noEndpoint = await post('runs/log-everything', {});
    expect([noEndpoint.status, noEndpoint.body.error_code]).toEqual([404, 'ENDPOINT_NOT_FOUND']);
  });

  it('checks registry aliases and artifact paths', async () => {
    await post('registered-models/create', { name: 'm' });
    expect(
      (await post('model-versions/create', { name: 'm', source: 'mlflow-artifacts:/1/x/artifacts/model' }))
        .status,
    ).toBe(200);
    expect(
      (await post('model-versions/create', { name: 'm', source: 'mlflow-artifacts:/1/../../etc' })).status,
    ).toBe(400);
    for (const alias of ['latest', 'v2', 'has space', 'a.b']) {
      expect((await post('registered-models/alias', { name: 'm', alias, version: '1' })).status).toBe(400);
    }
    expect((await post('registered-models/alias', { name: 'm', alias: 'prod', version: 1 })).status).toBe(
      400,
    ); // version is a string
    expect((await post('registered-models/alias', { name: 'm', alias: 'prod', version: '9' })).status).toBe(
      404,
    );
    expect((await post('registered-models/alias', { name: 'm', alias: 'prod', version: '1' })).status).toBe(
      200,
    );
    const byAlias = await get('registered-models/alias', { name: 'm', alias: 'prod' });
    expect((byAlias.body.model_version as { version: string; aliases: string[] }).aliases).toEqual(['prod']);
    for (const p of ['..%2Fsecret', 'a%2F..%2F..%2Fb', '%2Fetc%2Fpasswd', 'a%5C..%5Cb']) {
      const res = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${p}`, {
        method: 'PUT',
        body: 'x',
      });
      expect(res.status).toBe(400);
    }
  });

  it('records every request and injects transient failures with Retry-After', async () => {
    s.injectFailures({ status: 429, retryAfter: '7', count: 1, pathIncludes: 'runs/get' });
    const res = await fetch(`${s.url}/api/2.0/mlflow/runs/get?run_id=${runId}`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(((await res.json()) as { error_code: string }).error_code).toBe('REQUEST_LIMIT_EXCEEDED');
    const ok = await fetch(`${s.url}/api/2.0/mlflow/runs/get?run_id=${runId}`);
    expect(ok.status).toBe(200);
    expect(
      s
        .calls('runs/get')
        .slice(-2)
        .map((r) => r.status),
    ).toEqual([429, 200]);
  });
});

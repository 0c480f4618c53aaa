/**
 * The MLflow client against a HOSTILE IMITATION server: a tiny node:http server that answers
 * the way a broken or malicious server would (the real MLflow server cannot be made to): garbage
 * JSON, wrong types, endless or looping pages, slow bodies, huge bodies, redirects. Every answer
 * must end in a typed TrackingError within the configured limits, with bounded memory.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import { createMlflowTracker, type MlflowTrackerOptions } from '../../src/tracking/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
let handler: Handler = (_q, res) => res.end('{}');
let server: Server;
let url = '';
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    handler(req, res, new URL(req.url ?? '/', 'http://x'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const json = (res: ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const RUN = '0123456789abcdef0123456789abcdef';
/** `h`, behind a sane runs/get of RUN (active): reads of a run's history or artifacts ask for it first. */
const liveRun =
  (h: Handler): Handler =>
  (q, res, u) =>
    u.pathname.endsWith('/runs/get')
      ? json(res, { run: { info: { run_id: RUN, experiment_id: '1', lifecycle_stage: 'active' } } })
      : h(q, res, u);

function tracker(opts: MlflowTrackerOptions = {}) {
  return createMlflowTracker(url, {
    env: {} as NodeJS.ProcessEnv,
    retryBudgetMs: 0,
    timeoutMs: 2000,
    maxResponseBytes: 1024 * 1024,
    maxPages: 20,
    ...opts,
  });
}

async function typedError(p: Promise<unknown>, code: string | RegExp): Promise<TrackingError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TrackingError);
  expect((err as TrackingError).code).toMatch(code);
  return err as TrackingError;
}

describe('MLflow client vs a hostile imitation server', () => {
  it('garbage JSON and JSON that is not an object', async () => {
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"experiment": {"experiment_id": "1", ');
    };
    await typedError(tracker().getExperiment('e'), 'mlflow_bad_response');
    handler = (_q, res) => json(res, [1, 2, 3]);
    await typedError(tracker().listExperiments(), 'mlflow_bad_response');
    handler = (_q, res) => json(res, null);
    await typedError(tracker().getRun(RUN), 'mlflow_bad_response');
  });

  it('wrong types in every listing and record', async () => {
    handler = (_q, res) => json(res, { experiment: { experiment_id: 5, name: ['x'] } });
    await typedError(tracker().getExperiment('e'), 'mlflow_bad_response');
    handler = (_q, res) => json(res, { experiments: 'all of them' });
    await typedError(tracker().listExperiments(), 'mlflow_bad_response');
    handler = (_q, res) => json(res, { experiments: [1, 2] });
    await typedError(tracker().listExperiments(), 'mlflow_bad_response');
    handler = liveRun((_q, res) =>
      json(res, { metrics: [{ key: 'm', value: { evil: true }, step: 0, timestamp: 0 }] }),
    );
    await typedError(tracker().getMetricHistory(RUN, 'm'), 'mlflow_bad_response');
    handler = liveRun((_q, res) => json(res, { files: { path: 'x' } }));
    await typedError(tracker().listArtifacts(RUN), 'mlflow_bad_response');
    handler = (_q, res) => json(res, { run: 'a string' });
    await typedError(tracker().getRun(RUN), 'mlflow_bad_response');
    handler = (_q, res) =>
      json(res, { registered_models: [{ name: 'm', aliases: 'x' }], next_page_token: 7 });
    await typedError(tracker().listRegisteredModels(), 'mlflow_bad_response');
  });

  it('endless pages, a repeating page token and a directory that lists itself', async () => {
    let n = 0;
    hits = 0;
    handler = liveRun((_q, res) => json(res, { metrics: [], next_page_token: `t${n++}` }));
    const e1 = await typedError(tracker().getMetricHistory(RUN, 'm'), 'mlflow_bad_response');
    expect(e1.message).toMatch(/more than 20 pages/);
    expect(hits).toBe(21); // runs/get, then 20 pages
    handler = (_q, res) => json(res, { experiments: [], next_page_token: 'same' });
    const e2 = await typedError(tracker().listExperiments(), 'mlflow_bad_response');
    expect(e2.message).toMatch(/same next_page_token twice/);
    // artifacts/list of "a" answers "a" again (or anything outside it)
    handler = liveRun((_q, res, u) => {
      const path = u.searchParams.get('path');
      json(res, { files: [{ path: path ?? 'a', is_dir: true }] });
    });
    await typedError(tracker().listArtifacts(RUN), 'mlflow_bad_response');
    // ... or nests forever, one level deeper each time
    handler = liveRun((_q, res, u) => {
      const path = u.searchParams.get('path');
      json(res, { files: [{ path: path ? `${path}/a` : 'a', is_dir: true }] });
    });
    const e3 = await typedError(tracker().listArtifacts(RUN), 'mlflow_bad_response');
    expect(e3.message).toMatch(/deeper than 64/);
  });

  it('a slow body ends at the request deadline (timeoutMs) as a typed error', async () => {
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"experiments": [');
      const t = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(t));
    };
    const err = await typedError(tracker({ timeoutMs: 300 }).listExperiments(), 'mlflow_timeout');
    expect(err.message).toMatch(/within 300 ms/);
    // headers that never come
    handler = () => {};
    await typedError(tracker({ timeoutMs: 300 }).getExperiment('e'), 'mlflow_timeout');
  });

  it('huge bodies: refused by Content-Length, cut while streaming, error messages bounded', async () => {
    const rss0 = process.memoryUsage().rss;
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(300 * 1024 * 1024) });
      res.write('{"experiments": [');
    };
    await typedError(tracker().listExperiments(), 'mlflow_response_too_large');
    // no length announced: a stream of 64 KiB chunks that never ends
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const endless = (status: number) => (_q: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.write(status === 200 ? '{"experiments": [' : '{"error_code": "INTERNAL_ERROR", "message": "');
      const pump = () => {
        while (res.write(chunk)) {
          if (res.destroyed) return;
        }
        res.once('drain', pump);
      };
      res.on('error', () => {});
      pump();
    };
    handler = endless(200);
    await typedError(tracker().listExperiments(), 'mlflow_response_too_large');
    // a 500 whose message never ends: the error carries at most a short excerpt
    handler = endless(500);
    const err = await typedError(tracker().listExperiments(), /^mlflow_/);
    expect(err.message.length).toBeLessThan(4000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 1024 * 1024);
  });

  it('redirects are not followed (credentials never travel to another host)', async () => {
    let elsewhere = 0;
    const other = createServer((_q, res) => {
      elsewhere++;
      res.end('{}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const to = `http://127.0.0.1:${(other.address() as AddressInfo).port}/api/2.0/mlflow/experiments/search`;
    try {
      for (const status of [301, 302, 307, 308]) {
        handler = (_q, res) => {
          res.writeHead(status, { location: to });
          res.end();
        };
        const err = await typedError(
          createMlflowTracker(url, {
            env: { MLFLOW_TRACKING_TOKEN: 'secret-token' } as NodeJS.ProcessEnv,
            retryBudgetMs: 0,
          }).listExperiments(),
          `mlflow_http_${status}`,
        );
        expect(err.message).toMatch(/redirects/);
        expect(err.message).not.toContain('secret-token');
      }
      expect(elsewhere).toBe(0);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('reaches ports that fetch refuses', async () => {
    // ports on the WHATWG "bad ports" list: fetch() will not connect there at all
    const blocked = createServer((_q, res) =>
      json(res, { experiments: [{ experiment_id: '0', name: 'Default' }] }),
    );
    let port = 0;
    for (const p of [6000, 6665, 6666, 6667, 6668, 6669, 5060, 5061, 10080]) {
      const ok = await new Promise<boolean>((r) => {
        blocked.once('error', () => r(false));
        blocked.listen(p, '127.0.0.1', () => r(true));
      });
      if (ok) {
        port = p;
        break;
      }
    }
    expect(port).toBeGreaterThan(0);
    try {
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
      const t = createMlflowTracker(`http://127.0.0.1:${port}`, {
        env: {} as NodeJS.ProcessEnv,
        retryBudgetMs: 0,
      });
      expect((await t.listExperiments()).map((e) => e.name)).toEqual(['Default']);
    } finally {
      await new Promise<void>((r) => blocked.close(() => r()));
    }
  });
});

describe('MLflow client: a batch resent after an unknown outcome, its run moved to the trash meanwhile', () => {
  it('is not_found for the batch (not for a history read the caller never made), and reads no runs/get per metric key', async () => {
    // the resend reads back what the first send stored (metrics/get-history per key); that read is the
    // client's own, the run being written to: a trashed run shows in the resend's answer, not by a
    // runs/get before every key's history
    const seen: string[] = [];
    let batches = 0;
    handler = (_q, res, u) => {
      const p = u.pathname.replace(/^.*\/api\/2\.0\/mlflow\//, '');
      seen.push(p);
      if (p === 'experiments/get-by-name')
        return json(res, { experiment: { experiment_id: '1', name: 'e', lifecycle_stage: 'active' } });
      if (p === 'runs/create')
        return json(res, {
          run: {
            info: {
              run_id: RUN,
              experiment_id: '1',
              artifact_uri: `mlflow-artifacts:/1/${RUN}/artifacts`,
              lifecycle_stage: 'active',
              status: 'RUNNING',
            },
          },
        });
      if (p === 'runs/log-batch')
        return batches++ === 0
          ? json(res, { error_code: 'INTERNAL_ERROR', message: 'the answer is lost' }, 502)
          : json(
              res,
              {
                error_code: 'INVALID_PARAMETER_VALUE',
                message: `The run ${RUN} must be in the 'active' state. Current state is deleted.`,
              },
              400,
            );
      if (p === 'metrics/get-history') return json(res, { metrics: [] });
      if (p === 'runs/get')
        return json(res, { run: { info: { run_id: RUN, experiment_id: '1', lifecycle_stage: 'deleted' } } });
      return json(res, {});
    };
    const t = tracker({ retryBudgetMs: 5000, backoffMs: 1 });
    const run = await t.startRun({ experiment: 'e' });
    seen.length = 0;
    const err = await typedError(
      run.logBatch({
        metrics: ['a', 'b', 'c'].map((key) => ({ key, value: 1, step: 0, timestamp: 0 })),
      }),
      'not_found',
    );
    expect(err.message).toMatch(/cannot log a batch/);
    expect(seen.filter((p) => p === 'metrics/get-history')).toHaveLength(3);
    expect(seen.filter((p) => p === 'runs/get')).toEqual([]);
    expect(batches).toBe(2);
  });
});

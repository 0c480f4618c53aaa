/**
 * A small HTTP proxy in front of a real MLflow server, for tests: it forwards every request
 * unchanged, records what the client sent and what the real server answered, and on request
 * shows faults the real server cannot be made to show on cue — a transient status with
 * `Retry-After` answered in its place (the request never reaches the server), or a lost response
 * (the request is forwarded, the server acts and answers, and the proxy then cuts the connection
 * instead of passing the answer on).
 */
import { createServer as httpServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string[]>;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The JSON body, when there is one. */
  json: unknown;
  /** What the client got: the real server's status, an injected status, or 0 for a dropped answer. */
  status: number;
  /** The real server's JSON answer (also for a dropped answer), or the injected one. */
  response: unknown;
  /** Whether the real server saw the request. */
  forwarded: boolean;
}

export interface Fault {
  /** The request path must include this (e.g. `runs/log-batch`). */
  pathIncludes: string;
  method?: string;
  /** How many matching requests it applies to (default 1). */
  count?: number;
  /** Answer this status in the server's place (the request is not forwarded)... */
  status?: number;
  retryAfter?: string;
  /** ...with this JSON body (default an MLflow-style `TEMPORARILY_UNAVAILABLE` error). */
  body?: unknown;
  /** Or: forward the request, let the server act, and cut the connection before its answer. */
  dropResponse?: boolean;
}

export interface MlflowProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** Recorded requests whose path includes `endpoint` (and of that method). */
  calls(endpoint: string, method?: string): ProxiedRequest[];
  inject(f: Fault): void;
  reset(): void;
  close(): Promise<void>;
}

const parseJson = (b: Buffer): unknown => {
  if (b.length === 0) return undefined;
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
};

export async function startMlflowProxy(target: string): Promise<MlflowProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const faults: (Fault & { left: number })[] = [];

  const server = httpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const u = new URL(req.url ?? '/', 'http://proxy');
      const query: Record<string, string[]> = {};
      for (const k of new Set(u.searchParams.keys())) query[k] = u.searchParams.getAll(k);
      const rec: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query,
        headers: req.headers,
        body,
        json: parseJson(body),
        status: 0,
        response: undefined,
        forwarded: false,
      };
      requests.push(rec);
      const fault = faults.find(
        (f) => f.left > 0 && u.pathname.includes(f.pathIncludes) && (!f.method || f.method === req.method),
      );
      if (fault) fault.left--;
      if (fault?.status !== undefined) {
        const answer = fault.body ?? {
          error_code: 'TEMPORARILY_UNAVAILABLE',
          message: `injected ${fault.status}`,
        };
        rec.status = fault.status;
        rec.response = answer;
        res.writeHead(fault.status, {
          'content-type': 'application/json',
          ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
        });
        res.end(JSON.stringify(answer));
        return;
      }
      const headers = { ...req.headers, host: upstream.host };
      const up = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (ur) => {
          const out: Buffer[] = [];
          ur.on('data', (c: Buffer) => out.push(c));
          ur.on('end', () => {
            const answer = Buffer.concat(out);
            rec.forwarded = true;
            rec.response = parseJson(answer);
            if (fault?.dropResponse) {
              // the server acted; the client never hears of it
              req.socket.destroy();
              return;
            }
            rec.status = ur.statusCode ?? 0;
            res.writeHead(ur.statusCode ?? 502, ur.headers);
            res.end(answer);
          });
        },
      );
      up.on('error', () => req.socket.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (endpoint, method) =>
      requests.filter((r) => r.path.includes(endpoint) && (!method || r.method === method)),
    inject(f) {
      faults.push({ ...f, left: f.count ?? 1 });
    },
    reset() {
      requests.length = 0;
      faults.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

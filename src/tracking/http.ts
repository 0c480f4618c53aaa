/**
 * A small HTTP/1.1 client over node:http / node:https for the MLflow backend.
 *
 * Why not `fetch`: Node's fetch refuses "bad ports" (5060, 6000, ... from the WHATWG fetch
 * standard), so a tracking server there could not be reached at all, and it follows redirects,
 * which could carry credentials to another host. This client reaches any port, never follows a
 * redirect, and bounds every exchange: one deadline for connect + headers + body, and a byte
 * limit on the body, read incrementally so a huge answer never sits in memory whole.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TrackingError, type TrackingErrorCode } from '../errors.js';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** True when an error body was cut at `errorBodyBytes`. */
  truncated: boolean;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Deadline for the whole exchange (connect, send, headers, body). */
  timeoutMs: number;
  /** Largest body accepted. */
  maxBytes: number;
  /** For a non-2xx answer: keep only this many bytes of the body and stop reading. */
  errorBodyBytes?: number;
}

/**
 * A transport failure: `sent` says whether the request may have reached the server
 * (false: connection refused / DNS / TLS before sending, so retrying cannot double anything).
 */
export class HttpTransportError extends TrackingError {
  constructor(
    code: TrackingErrorCode,
    message: string,
    readonly sent: boolean,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Sends one request; resolves with any status, rejects with HttpTransportError / TrackingError. */
export function sendHttp(req: HttpRequest): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const isHttps = req.url.protocol === 'https:';
    const send = isHttps ? httpsRequest : httpRequest;
    let settled = false;
    let connected = false;
    const finish = (err: Error | null, res?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        r.destroy();
        reject(err);
      } else resolve(res as HttpResponse);
    };
    const headers: Record<string, string> = { ...req.headers, connection: 'keep-alive' };
    if (req.body) headers['content-length'] = String(req.body.byteLength);
    const r = send(
      {
        protocol: req.url.protocol,
        hostname: req.url.hostname.replace(/^\[|\]$/g, ''),
        port: req.url.port || (isHttps ? 443 : 80),
        path: `${req.url.pathname}${req.url.search}`,
        method: req.method,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const status = res.statusCode ?? 0;
        const truncate = req.errorBodyBytes !== undefined && (status < 200 || status >= 300);
        const limit = truncate ? (req.errorBodyBytes as number) : req.maxBytes;
        const declared = Number(res.headers['content-length']);
        if (!truncate && Number.isFinite(declared) && declared > req.maxBytes) {
          finish(
            new TrackingError(
              'mlflow_response_too_large',
              `the server at ${req.url.host} announced a ${declared}-byte answer to ${req.method} ${req.url.pathname}; the limit is ${req.maxBytes} (option maxResponseBytes)`,
            ),
          );
          return;
        }
        res.on('data', (c: Buffer) => {
          if (settled) return;
          if (size + c.length > limit) {
            if (truncate) {
              chunks.push(c.subarray(0, limit - size));
              size = limit;
              truncated = true;
              finish(null, {
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks),
                truncated,
              });
              return;
            }
            finish(
              new TrackingError(
                'mlflow_response_too_large',
                `the answer of ${req.url.host} to ${req.method} ${req.url.pathname} exceeds ${req.maxBytes} bytes (option maxResponseBytes)`,
              ),
            );
            return;
          }
          chunks.push(c);
          size += c.length;
        });
        res.on('end', () =>
          finish(null, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            truncated,
          }),
        );
        res.on('error', (e) =>
          finish(
            new HttpTransportError(
              'mlflow_connection_lost',
              `the connection to ${req.url.host} broke while reading the answer to ${req.method} ${req.url.pathname}: ${e.message}`,
              true,
              { cause: e },
            ),
          ),
        );
      },
    );
    r.on('socket', (sock) => {
      if (!sock.connecting) connected = true;
      else sock.once('connect', () => (connected = true));
    });
    r.on('error', (e: NodeJS.ErrnoException) => {
      const notSent = !connected && NOT_SENT.has(e.code ?? '');
      finish(
        new HttpTransportError(
          notSent ? 'mlflow_unreachable' : 'mlflow_connection_lost',
          notSent
            ? `cannot connect to ${req.url.host} (${e.code}); check the URI and that the server is running`
            : `the connection to ${req.url.host} broke during ${req.method} ${req.url.pathname} (${e.code ?? e.message})`,
          !notSent,
          { cause: e },
        ),
      );
    });
    const timer = setTimeout(() => {
      finish(
        new HttpTransportError(
          'mlflow_timeout',
          `${req.method} ${req.url.pathname} on ${req.url.host} did not complete within ${req.timeoutMs} ms (option timeoutMs)`,
          connected,
        ),
      );
    }, req.timeoutMs);
    if (req.body) r.end(req.body);
    else r.end();
  });
}

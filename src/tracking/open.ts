/**
 * `openTracker(uri?)`: URI → backend.
 *
 * | URI                                        | backend                                   |
 * |--------------------------------------------|-------------------------------------------|
 * | `file:./dir`, `file:///abs/dir`, a path     | local store (`file.ts`)                   |
 * | `memory:` / `memory:<name>`                | in-process (`memory.ts`); a name is shared |
 * | `postgres://`, `postgresql://`, `crate://` | SQL via `pg` (`sql.ts`)                   |
 * | `http://`, `https://`                      | MLflow REST API 2.0 (`mlflow.ts`)         |
 *
 * Default: `TSAD_TRACKING_URI` ?? `MLFLOW_TRACKING_URI` ?? `file:./tsad-runs`.
 * Opening is synchronous and cheap: backends connect (and are imported) on first use.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrackingError } from '../errors.js';
import { TRACKER_METHODS } from './methods.js';
import type { Tracker } from './tracker.js';

export const DEFAULT_TRACKING_URI = 'file:./tsad-runs';

/** The URI `openTracker()` uses when given none. */
export function defaultTrackingUri(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSAD_TRACKING_URI || env.MLFLOW_TRACKING_URI || DEFAULT_TRACKING_URI;
}

/** Query parameters that carry secrets (libpq's `password`, `sslpassword`, tokens, keys). */
const SECRET_PARAM =
  /([?&;](?:password|passwd|pwd|pass|sslpassword|sslkey|token|access_token|auth_token|api_key|apikey|secret|client_secret)=)[^&#;]*/gi;

/**
 * The URI with every credential replaced by `***`, whatever its shape: the password of
 * `scheme://user:password@host` (also when the URI does not parse, e.g. a port out of range or a
 * `[::1` typo), and secret query parameters (`?password=`, `?token=`, ...). Used for
 * `tracker.uri` and every message that names a URI.
 */
export function redactUri(uri: string): string {
  let s = String(uri);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)/.exec(s);
  if (m) {
    const rest = s.slice(m[1].length);
    const end = rest.search(/[?#]/);
    const head = end < 0 ? rest : rest.slice(0, end);
    const at = head.lastIndexOf('@');
    if (at >= 0) {
      const info = head.slice(0, at);
      const colon = info.indexOf(':');
      const user = colon >= 0 ? info.slice(0, colon) : info;
      const shown = colon >= 0 ? `${user}:***` : user;
      s = `${m[1]}${shown}${rest.slice(at)}`;
    }
  }
  return s.replace(SECRET_PARAM, '$1***');
}

/** How a classified URI opens its backend (the module is imported on first use). */
type Opener = (uri: string, c: { path?: string; name?: string }) => Promise<Tracker>;

/** The backends, each a store module imported on first use. */
const BACKENDS = {
  file: async (uri, c) => new (await import('./file.js')).FileTracker(c.path ?? resolve('tsad-runs'), uri),
  memory: async (_uri, c) => (await import('./memory.js')).openMemoryTracker(c.name ?? ''),
  sql: async (uri) => new (await import('./sql.js')).SqlTracker(uri),
  mlflow: async (uri) => (await import('./mlflow.js')).createMlflowTracker(uri),
} satisfies Record<string, Opener>;

export type BackendKind = keyof typeof BACKENDS;

/**
 * URI scheme → backend: adding a backend is its store file, one entry in `BACKENDS` and a line
 * here. (`file:` and `memory:` carry a path or name and are parsed in `classifyUri`.)
 */
const SCHEMES: Readonly<Record<string, BackendKind>> = {
  postgres: 'sql',
  postgresql: 'sql',
  crate: 'sql',
  http: 'mlflow',
  https: 'mlflow',
};

/** Which backend a URI selects, and the file path for `file:` URIs. */
export function classifyUri(uri: string): { kind: BackendKind; path?: string; name?: string } {
  if (typeof uri !== 'string') {
    // JavaScript callers can pass anything
    const given: unknown = uri;
    // an object or a function is named by its kind only: printed whole it could be its source or a
    // long array
    const what =
      given === null
        ? 'null'
        : given instanceof URL
          ? 'a URL object: pass its .href'
          : Array.isArray(given)
            ? 'an array'
            : typeof given === 'object'
              ? 'an object'
              : typeof given === 'function'
                ? 'a function'
                : `a ${typeof given} (${String(given)})`;
    throw uriError(
      typeof given === 'object' || typeof given === 'function' ? `[${typeof given}]` : String(uri),
      `the URI must be a string such as 'file:./tsad-runs', got ${what}`,
    );
  }
  if (uri.trim() === '') throw uriError(uri, 'the URI is empty');
  const m = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(uri);
  if (!m) return { kind: 'file', path: resolve(uri) };
  const scheme = m[1].toLowerCase();
  if (scheme === 'file') {
    const rest = uri.slice(m[0].length);
    if (rest.startsWith('//')) return { kind: 'file', path: fileURLToPath(uri) };
    if (rest.length === 0) throw uriError(uri, 'the file: URI has no path (use file:./tsad-runs)');
    return { kind: 'file', path: resolve(decodeURIComponent(rest)) };
  }
  if (scheme === 'memory') return { kind: 'memory', name: uri.slice(m[0].length) };
  const kind = Object.hasOwn(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
  if (kind === undefined) throw uriError(uri, `unknown scheme "${scheme}:"`);
  return { kind };
}

function uriError(uri: string, why: string): TrackingError {
  return new TrackingError(
    'unsupported_uri',
    `cannot open tracking URI ${JSON.stringify(redactUri(uri))}: ${why}; use file:<dir>, memory:, postgres://..., crate://... or http(s)://<mlflow server>`,
  );
}

async function createBackend(uri: string): Promise<Tracker> {
  const c = classifyUri(uri);
  return BACKENDS[c.kind](uri, c);
}

/**
 * Opens a tracker. The backend module is loaded and connected on first use; an unknown
 * scheme throws at once (TrackingError `unsupported_uri`).
 */
export function openTracker(uri?: string): Tracker;
/** With `loadModel`: `tracker.loadModel(uri)` turns the stored model file into an `M` with it. */
export function openTracker<M>(uri: string | undefined, opts: OpenTrackerOptions<M>): Tracker<M>;
export function openTracker<M>(
  uri: string = defaultTrackingUri(),
  opts: Partial<OpenTrackerOptions<M>> = {},
): Tracker<M> | Tracker {
  classifyUri(uri);
  const t = lazyTracker(uri, () => createBackend(uri));
  return opts.loadModel ? withLoader(t, opts.loadModel) : t;
}

export interface OpenTrackerOptions<M> {
  /** Turns a stored model file into a model (throwing its own typed errors on a bad file). */
  loadModel: (json: unknown) => M;
}

/** `inner` with its `loadModel` replaced by `loader` applied to the stored model file. */
function withLoader<M>(inner: Tracker, loader: (json: unknown) => M): Tracker<M> {
  const loadModel = async (uri: string): Promise<M> => loader(await inner.loadModelJson(uri));
  return new Proxy(inner, {
    get: (target, key) => {
      if (key === 'loadModel') return loadModel;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as unknown as Tracker<M>;
}

/** A tracker whose every call goes to a backend created on first use (the calls of `TRACKER_METHODS`). */
function lazyTracker(uri: string, create: () => Promise<Tracker>): Tracker {
  let backend: Promise<Tracker> | undefined;
  const b = (): Promise<Tracker> => {
    if (!backend) {
      backend = create();
      // a failed creation is retried on the next call
      backend.catch(() => {
        backend = undefined;
      });
    }
    return backend;
  };
  const t: Record<string, unknown> = { uri: redactUri(uri) };
  for (const m of TRACKER_METHODS) {
    t[m] = async (...args: unknown[]) => {
      const inner = (await b()) as unknown as Record<string, (...a: unknown[]) => unknown>;
      return inner[m](...args);
    };
  }
  // the local store's runs that searches skipped as unreadable (what `tsad runs export` reports)
  t.unreadableRuns = async (): Promise<unknown> => {
    if (!backend) return [];
    const inner = (await backend) as unknown as { unreadableRuns?: () => unknown };
    return typeof inner.unreadableRuns === 'function' ? inner.unreadableRuns() : [];
  };
  t.close = async (): Promise<void> => {
    if (!backend) return;
    const inner = await backend;
    backend = undefined;
    await inner.close();
  };
  return t as unknown as Tracker;
}

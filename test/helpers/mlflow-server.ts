/**
 * Starts a real MLflow tracking server (../shared/mlflow, MLflow 3.6 from source on Debian's Python)
 * on a free loopback port in a fresh temp directory, for tests that need the real thing.
 *
 * `.ci/run` installs the server's Debian packages (`install-deps.sh`); a machine without them makes
 * `startMlflow` throw with the command to run, so a test that needs the server fails loudly.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** Where `../shared/mlflow` is: `TSAD_MLFLOW_DIR`, else `../shared/mlflow` beside the repository. */
export function mlflowDir(): string {
  const dir = process.env.TSAD_MLFLOW_DIR ?? resolve(process.cwd(), '..', 'shared', 'mlflow');
  if (!existsSync(join(dir, 'serve.sh'))) {
    throw new Error(
      `no MLflow server scripts at ${dir}: put ../shared beside the repository or set TSAD_MLFLOW_DIR`,
    );
  }
  return dir;
}

export interface MlflowServer {
  /** http://127.0.0.1:PORT (without credentials) */
  readonly url: string;
  readonly port: number;
  /** The server's data directory (mlflow.db or mlruns, artifacts/, server.log). */
  readonly dir: string;
  readonly backend: 'sqlite' | 'file';
  /** Credentials of the basic-auth app's admin, when started with `auth: true`. */
  readonly credentials?: { user: string; password: string };
  /** SIGKILLs the whole server process group (a crash), leaving its data in place. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data directory. */
  restart(): Promise<void>;
  /** Dumps everything the store holds through MLflow's own Python client (read_store.py --stable). */
  readStore(opts?: { stable?: boolean }): Promise<unknown>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

const BLOCKED_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** A free loopback port that Chromium does not refuse to browse (its blocked list above). */
async function browsablePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!BLOCKED_PORTS.has(port)) return port;
  }
}

export async function startMlflow(
  opts: { backend?: 'sqlite' | 'file'; auth?: boolean } = {},
): Promise<MlflowServer> {
  const scripts = mlflowDir();
  const backend = opts.backend ?? 'sqlite';
  const dir = await mkdtemp(join(tmpdir(), `tsad-mlflow-${backend}-`));
  const port = await browsablePort();
  const args = ['start', String(port), dir, backend, ...(opts.auth ? ['basic-auth'] : [])];
  const start = async () => {
    try {
      await run(join(scripts, 'serve.sh'), args, { timeout: 120_000 });
    } catch (e) {
      throw new Error(
        `could not start the MLflow server (${(e as Error).message.trim()}); ` +
          `install its packages with ${join(scripts, 'install-deps.sh')}`,
      );
    }
  };
  await start();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    dir,
    backend,
    credentials: opts.auth ? { user: 'admin', password: 'password1234' } : undefined,
    async kill() {
      const { stdout } = await run('cat', [join(dir, 'server.pid')]);
      const pid = Number(stdout.trim());
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await rm(join(dir, 'server.pid'), { force: true });
    },
    restart: start,
    async readStore(o = {}) {
      const { stdout: pp } = await run(join(scripts, 'serve.sh'), ['pythonpath', join(dir, 'reader')]);
      const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: pp.trim() };
      if (opts.auth) {
        env.MLFLOW_TRACKING_USERNAME = 'admin';
        env.MLFLOW_TRACKING_PASSWORD = 'password1234';
      }
      const { stdout } = await run(
        '/usr/bin/python3',
        [join(scripts, 'read_store.py'), url, ...(o.stable === false ? [] : ['--stable'])],
        { env, maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
      );
      return JSON.parse(stdout) as unknown;
    },
    async close() {
      try {
        await run(join(scripts, 'serve.sh'), ['stop', dir], { timeout: 60_000 });
      } catch {
        // not running
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

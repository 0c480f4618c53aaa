/**
 * A throwaway PostgreSQL cluster for tests and benchmarks.
 *
 * `startPostgres()` finds `initdb`/`pg_ctl` (PATH, then /usr/lib/postgresql/<newest>/bin),
 * runs `initdb` in a fresh temp dir (as the `postgres` user when we are root: the dir is
 * chowned to it and commands run through `runuser`/`su`), starts the server with `pg_ctl`
 * on a free loopback port with its unix socket inside the temp dir, and returns a
 * connection URI plus `stop()`, which stops the server and removes the dir.
 *
 * If `TSAD_TEST_PG_URI` is set, no server is started: each call creates a fresh database
 * on that server instead (and drops it on stop).
 *
 * Also usable as a vitest globalSetup (`setup`/`teardown` below provide `tsadPgUri`), but
 * the test files call `startPostgres()` themselves, so no config change is needed.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';

const run = promisify(execFile);

export interface PgServer {
  /** postgresql://user@127.0.0.1:port/dbname */
  uri: string;
  stop(): Promise<void>;
}

function findBinDir(): string {
  const fromPath = (process.env.PATH ?? '').split(delimiter).find((d) => d && existsSync(join(d, 'pg_ctl')));
  if (fromPath && existsSync(join(fromPath, 'initdb'))) return fromPath;
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(base, versions[0], 'bin');
  }
  throw new Error(
    'PostgreSQL is not installed: initdb/pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)',
  );
}

async function idOf(user: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', user])).stdout.trim());
  const gid = Number((await run('id', ['-g', user])).stdout.trim());
  return { uid, gid };
}

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function asUser(user: string | null, cmd: string, args: string[]): Promise<string> {
  if (user === null) return (await run(cmd, args, { maxBuffer: 1 << 24 })).stdout;
  const line = [cmd, ...args].map(sh).join(' ');
  const hasRunuser =
    existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser') || existsSync('/usr/bin/runuser');
  if (hasRunuser)
    return (await run('runuser', ['-u', user, '--', 'sh', '-c', line], { maxBuffer: 1 << 24 })).stdout;
  return (await run('su', [user, '-s', '/bin/sh', '-c', line], { maxBuffer: 1 << 24 })).stdout;
}

async function fromExisting(base: string): Promise<PgServer> {
  const pg = (await import('pg')).default;
  const db = `tsad_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${db}`;
  return {
    uri: u.toString(),
    async stop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Starts a private PostgreSQL server (see the file comment). */
export async function startPostgres(): Promise<PgServer> {
  if (process.env.TSAD_TEST_PG_URI) return fromExisting(process.env.TSAD_TEST_PG_URI);
  const bin = findBinDir();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const user = isRoot ? 'postgres' : null;
  const dir = await mkdtemp(join(tmpdir(), 'tsad-pg-'));
  const data = join(dir, 'data');
  if (isRoot) {
    const { uid, gid } = await idOf('postgres');
    await chown(dir, uid, gid);
  }
  const port = await freePort();
  const dbUser = 'tsad';
  try {
    await asUser(user, join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      dbUser,
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await asUser(user, join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not start PostgreSQL from ${bin}: ${(err as Error).message}`);
  }
  let stopped = false;
  return {
    uri: `postgresql://${dbUser}@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await asUser(user, join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

// vitest globalSetup shape: `globalSetup: ['test/tracking/pg-server.ts']` + `inject('tsadPgUri')`.
let shared: PgServer | undefined;
export async function setup(ctx: { provide: (key: string, value: unknown) => void }): Promise<void> {
  shared = await startPostgres();
  ctx.provide('tsadPgUri', shared.uri);
}
export async function teardown(): Promise<void> {
  await shared?.stop();
}

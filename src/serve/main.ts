/** `tsad serve`: starts the service, polls the registry, reloads on SIGHUP, shuts down gracefully. */
import type { ServeCliOptions } from '../cli/serve.js';
import { defaultTrackingUri, openTracker } from '../tracking/open.js';
import { DirectoryCheckpointStore } from './checkpoint.js';
import { ServeError } from './errors.js';
import type { ModelGroup } from './models.js';
import { createService } from './service.js';

function parseGroups(specs: readonly string[] | undefined): ModelGroup[] {
  return (specs ?? []).map((s) => {
    const i = s.indexOf('=');
    if (i <= 0 || i === s.length - 1) {
      throw new ServeError(
        'bad_group',
        `--group ${JSON.stringify(s)} must be PREFIX=MODEL, e.g. cpu-=models:/cpu@champion`,
      );
    }
    return { prefix: s.slice(0, i), ref: s.slice(i + 1) };
  });
}

/**
 * The `--checkpoints` folder is made and written to once before the service starts: a path that
 * cannot hold checkpoints (a file, /proc, no permission) is a `ConfigError` `output_failed` (exit 2)
 * now, not a 500 on every request and series state lost at shutdown.
 */
async function checkCheckpointDir(dir: string): Promise<void> {
  const [{ makeDirs }, { writeFile, rm }, { join }, { outputError }] = await Promise.all([
    import('../fs-dirs.js'),
    import('node:fs/promises'),
    import('node:path'),
    import('../cli/output.js'),
  ]);
  const probe = join(dir, `.tsad-probe-${process.pid}.tmp`);
  try {
    await makeDirs(dir);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    throw await outputError(err, dir);
  }
}

/**
 * What a poll or `SIGHUP` calls: a reload, reported on `write`. One asked for while a reload runs is not
 * dropped: one more reload runs after it (however many were asked for meanwhile), so the alias the
 * operator moved before the last `SIGHUP` is read (dropped, with `--poll-seconds 0` the service stayed on
 * the version the running reload had read, for good). Resolves when the reloads it started are done.
 */
export function reloadTrigger(
  reload: () => Promise<string[]>,
  write: (line: string) => void,
): (why: string) => Promise<void> {
  let running: Promise<void> | undefined;
  let again: string | undefined;
  const run = (why: string): Promise<void> =>
    reload()
      .then(
        (changed) => {
          if (changed.length > 0) write(`tsad serve: reloaded ${changed.join(', ')} (${why})\n`);
        },
        (err: Error) => write(`tsad serve: reload failed (${why}): ${err.message}\n`),
      )
      .then(() => {
        if (again === undefined) {
          running = undefined;
          return;
        }
        const next = again;
        again = undefined;
        return run(next);
      });
  return (why) => {
    if (running) {
      again = why;
      return running;
    }
    running = run(why);
    return running;
  };
}

export async function runServe(o: ServeCliOptions): Promise<void> {
  await import('../index.js'); // installs the model loader
  if (o.checkpoints) await checkCheckpointDir(o.checkpoints);
  const tracker = openTracker(o.uri ?? defaultTrackingUri());
  const service = await createService({
    model: o.model,
    groups: parseGroups(o.group),
    tracker,
    ...(o.checkpoints ? { checkpoints: new DirectoryCheckpointStore(o.checkpoints) } : {}),
    maxSeries: o.maxSeries,
    checkpointEvery: o.checkpointEvery,
    storeTimeoutMs: o.storeTimeoutSeconds * 1000,
    logger: process.env.TSAD_SERVE_LOG === '1',
  });
  let address: string;
  try {
    address = await service.app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await service.close().catch(() => undefined);
    const code = (err as { code?: unknown }).code;
    const why =
      code === 'EADDRINUSE'
        ? 'the port is in use (another tsad serve?); pick another --port, or 0 for any free one'
        : code === 'EACCES'
          ? 'permission denied (ports below 1024 need privileges); pick a --port ≥ 1024'
          : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
            ? `no such address on this machine; check --host`
            : (err as Error).message;
    throw new ServeError('listen_failed', `cannot listen on ${o.host}:${o.port}: ${why}`, 500, {
      cause: err,
    });
  }
  // one line on stdout that scripts (and the tests) read: where the service listens
  process.stdout.write(`${JSON.stringify({ listening: address, models: service.models.refs() })}\n`);

  const reload = reloadTrigger(service.reload, (line) => process.stderr.write(line));
  const timer = o.pollSeconds > 0 ? setInterval(() => reload('poll'), o.pollSeconds * 1000) : undefined;
  timer?.unref();
  process.on('SIGHUP', () => reload('SIGHUP'));

  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      process.stderr.write(`tsad serve: ${sig}: checkpointing and stopping\n`);
      if (timer) clearInterval(timer);
      service
        .close()
        .then(() => tracker.close())
        .then(resolve, (err: Error) => {
          process.stderr.write(`tsad serve: shutdown failed: ${err.message}\n`);
          process.exitCode = 6;
          resolve();
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

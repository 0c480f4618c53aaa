/**
 * Ctrl-C and SIGTERM on the built CLI (CI builds first): `tsad nab machine-temperature` interrupted
 * while its tracked run is open exits 130 (143), prints one line, and leaves the run KILLED, read back
 * through our tracker and through MLflow's own client, with no temp file left in the local store.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTracker, type Tracker } from '../../src/index.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';

const repo = resolve(import.meta.dirname, '..', '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
const EXPERIMENT = 'nab-machine-temperature';

let dir: string;
let mlflow: MlflowServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-interrupt-'));
  mlflow = await startMlflow({ backend: 'file' });
});
afterAll(async () => {
  await mlflow?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every file and directory under `root` (relative paths). */
function walk(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    out.push(p);
    if (e.isDirectory()) out.push(...walk(root, p));
  }
  return out;
}

/** The id of a RUNNING run in an MLflow file store under `dir` (its `meta.yaml` files), if any. */
function mlflowRunning(dir: string): string | undefined {
  const root = join(dir, 'mlruns');
  if (!existsSync(root)) return undefined;
  for (const meta of walk(root).filter((p) => /^[^/]+\/[^/]+\/meta\.yaml$/.test(p))) {
    let text: string;
    try {
      text = readFileSync(join(root, meta), 'utf8');
    } catch {
      continue; // being written
    }
    const id = /^run_id: *'?([0-9a-f]+)'?$/m.exec(text)?.[1];
    if (id !== undefined && /^status: *1$/m.test(text)) return id;
  }
  return undefined;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  runId: string;
}

/**
 * Runs the experiment tracked into `uri`, sends `sig` as soon as `tracker` lists its run (polled, no
 * fixed delay), and waits for the process to end. `runId` is undefined when the command ended before
 * its run was seen (no signal sent).
 */
async function interruptOnce(
  uri: string,
  tracker: Tracker,
  sig: NodeJS.Signals,
  running: () => Promise<string | undefined> = async () =>
    (await tracker.searchRuns({ experiment: EXPERIMENT }).catch(() => [])).find(
      (r) => r.info.status === 'RUNNING',
    )?.info.runId,
): Promise<Omit<Outcome, 'runId'> & { runId: string | undefined }> {
  const proc = spawn(
    process.execPath,
    [cli, 'nab', 'machine-temperature', '--uri', uri, '--no-report', '--threads', '1'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.on('exit', (code, signal) => res({ code, signal })),
  );
  let done = false;
  void exited.then(() => {
    done = true;
  });
  let runId: string | undefined;
  while (!done && runId === undefined) {
    runId = await running();
    if (runId === undefined) await new Promise((r) => setTimeout(r, 5));
  }
  if (runId === undefined) return { ...(await exited), stderr, runId: undefined };
  proc.kill(sig);
  return { ...(await exited), stderr, runId };
}

/**
 * `interruptOnce` until the signal lands while the run is open. The run is created in the command's
 * last stage (after scoring) and is open for some tens of milliseconds, so under load the command can
 * end before a poll sees its run, or end its run between the run being seen and the signal: then the
 * run is FINISHED (the command's own end came first; the handler leaves an ended run alone) and the
 * process exits 0 or, if the signal came before the exit, 130 / 143 without naming a KILLED run. That
 * says nothing about an interruption of an open run, so the attempt is made again (at most 5 times; a
 * command that never ended its run KILLED would fail the caller's checks every time).
 */
async function interrupt(
  uri: string,
  tracker: Tracker,
  sig: NodeJS.Signals,
  running?: () => Promise<string | undefined>,
  finished: (runId: string) => Promise<boolean> = async (runId) =>
    (await tracker.getRun(runId)).info.status === 'FINISHED',
): Promise<Outcome> {
  const lost = async (o: { code: number | null; runId: string | undefined }) =>
    o.runId === undefined || (await finished(o.runId));
  let o = await interruptOnce(uri, tracker, sig, running);
  for (let attempt = 1; attempt < 5 && (await lost(o)); attempt++) {
    o = await interruptOnce(uri, tracker, sig, running);
  }
  expect(o.runId, `the command ended before its run was seen, 5 times: ${o.stderr}`).toBeDefined();
  return { ...o, runId: o.runId as string };
}

describe('an interrupted tracked command', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: exit %i, the run KILLED, no temp file in the local store', async (sig, exitCode) => {
    const store = join(dir, `store-${sig}`);
    const tracker = openTracker(`file:${store}`);
    try {
      const o = await interrupt(`file:${store}`, tracker, sig);
      expect(o.signal).toBeNull();
      expect(o.code).toBe(exitCode);
      expect(o.stderr).toContain(`tsad: interrupted (${sig}); run ${o.runId} ended KILLED\n`);
      expect(o.stderr.split('\n').filter((l) => l.startsWith('tsad:'))).toHaveLength(1);
      const rec = await tracker.getRun(o.runId);
      expect(rec.info.status).toBe('KILLED');
      expect(rec.info.endTime).toBeGreaterThanOrEqual(rec.info.startTime);
      const leftovers = walk(store).filter((p) => /(^|\/)\.(tmp|lock)/.test(p));
      expect(leftovers).toEqual([]);
    } finally {
      await tracker.close();
    }
  });

  it('SIGINT with an MLflow server: MLflow reads the run back as KILLED', async () => {
    const tracker = openTracker(mlflow.url);
    try {
      // A search through the server can take longer than the whole command (≈ 0.6 s) under load, so
      // the run is watched for in the server's file store (meta.yaml, status 1 = RUNNING) instead.
      const o = await interrupt(mlflow.url, tracker, 'SIGINT', async () => mlflowRunning(mlflow.dir));
      expect(o.code).toBe(130);
      const dump = (await mlflow.readStore({ stable: false })) as {
        experiments: {
          name: string;
          runs: { info: { run_id: string; status: string; end_time: number } }[];
        }[];
      };
      // one experiment of that name: two of them (two creates racing on MLflow's file store) left the
      // run in the one a reader by name does not pick (CI68)
      expect(dump.experiments.filter((e) => e.name === EXPERIMENT)).toHaveLength(1);
      const exp = dump.experiments.find((e) => e.name === EXPERIMENT);
      const run = exp?.runs.find((r) => r.info.run_id === o.runId);
      // what MLflow listed and what its file store holds for the run, should it be missing (CI68 once
      // found the run absent from the server's search after the command ended it KILLED)
      const root = join(mlflow.dir, 'mlruns');
      const metas = walk(root).filter((p) => p.endsWith(`${o.runId}/meta.yaml`));
      const seen = `MLflow listed ${exp === undefined ? 'no such experiment' : exp.runs.map((r) => `${r.info.run_id} ${r.info.status}`).join(', ')}; meta.yaml of ${o.runId}: ${metas.map((m) => `${m}: ${JSON.stringify(readFileSync(join(root, m), 'utf8'))}`).join('; ') || 'none'}`;
      expect(run?.info.status, seen).toBe('KILLED');
      expect(run?.info.end_time).toBeGreaterThan(0);
    } finally {
      await tracker.close();
    }
  });
});

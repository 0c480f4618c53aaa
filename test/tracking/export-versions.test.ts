// `runs export` with two registered versions of one run's same artifact path (audit43 noticed, rev44
// left): each must arrive as a version of its own, with its own tags and aliases, on a first export, a
// repeated one and an export back, for the three kinds of destination: the local store, a real MLflow
// server and a real PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowTracker, exportRuns, openTracker, type Tracker } from '../../src/tracking/index.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';
import { type PgServer, startPostgres } from './pg-server.js';

const model = {
  type: 'zms',
  config: { window: 12 },
  toJSON: () => ({ format: 'tsad-model', version: 1, type: 'zms', config: { window: 12 }, state: {} }),
};

let mlflow: MlflowServer;
let pg: PgServer;
const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'tsad-export-versions-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  [mlflow, pg] = await Promise.all([startMlflow({ backend: 'sqlite' }), startPostgres()]);
}, 180_000);

afterAll(async () => {
  await Promise.all([mlflow?.close(), pg?.stop()]);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** What a tracker holds of model `name`: each version's run, path and `note` tag, and the aliases. */
async function registryOf(t: Tracker, name: string) {
  const versions = await t.listModelVersions(name);
  const model = (await t.listRegisteredModels()).find((m) => m.name === name);
  const tags = await Promise.all(versions.map((v) => t.getModelVersionTags(name, v.version)));
  return {
    versions: versions.map((v, i) => ({
      version: v.version,
      runId: v.runId,
      artifactPath: v.artifactPath,
      note: tags[i].note,
    })),
    aliases: model?.aliases ?? {},
  };
}

const destinations: [string, () => Promise<Tracker>][] = [
  ['the local store', async () => openTracker(`file:${await tempDir()}`)],
  ['a real MLflow server', async () => createMlflowTracker(mlflow.url, { env: {} as NodeJS.ProcessEnv })],
  ['a real PostgreSQL', async () => openTracker(`${pg.uri}?schema=ev${dirs.length}`)],
];

describe.each(destinations)('runs export: two versions of one run and path, to %s', (_, open) => {
  it('both arrive with their own tags and aliases, again after a repeated export, and back in a fresh local store', async () => {
    const name = `twice-${dirs.length}`;
    const src = openTracker(`file:${await tempDir()}`);
    const dst = await open();
    const back = openTracker(`file:${await tempDir()}`);
    try {
      const runId = await src.run({ experiment: `twice-exp-${dirs.length}` }, async (run) => {
        await run.logModel(model);
        return run.id;
      });
      // the same run and path registered twice (say, once by hand and once by `train --register`)
      for (const note of ['first', 'second']) {
        const v = await src.registerModel(name, runId);
        await src.setModelVersionTag(name, v.version, 'note', note);
      }
      await src.setAlias(name, 'champion', 1);
      await src.setAlias(name, 'challenger', 2);

      const first = await exportRuns(src, dst);
      expect(first).toMatchObject({
        runs: 1,
        modelVersions: 2,
        aliases: 2,
        failedRuns: [],
        failedModels: [],
      });
      const dstRun = first.runIds[runId];
      const expected = (run: string) => ({
        versions: [
          { version: 1, runId: run, artifactPath: 'model', note: 'first' },
          { version: 2, runId: run, artifactPath: 'model', note: 'second' },
        ],
        aliases: { champion: 1, challenger: 2 },
      });
      expect(await registryOf(dst, name)).toEqual(expected(dstRun));

      // a repeated export finds both copies, each by itself: nothing added, nothing overwritten
      const again = await exportRuns(src, dst);
      expect(again).toMatchObject({ runs: 0, skippedRuns: 1, modelVersions: 0, aliases: 2 });
      expect(again.warnings).toEqual([]);
      expect(await registryOf(dst, name)).toEqual(expected(dstRun));

      // and back: the destination's two versions become two versions again
      const home = await exportRuns(dst, back);
      expect(home).toMatchObject({ runs: 1, modelVersions: 2, aliases: 2 });
      expect(await registryOf(back, name)).toEqual(expected(home.runIds[dstRun]));
    } finally {
      await Promise.all([src.close(), dst.close(), back.close()]);
    }
  }, 180_000);
});

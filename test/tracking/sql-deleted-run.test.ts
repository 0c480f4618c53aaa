/**
 * Writes to a PostgreSQL run that is gone (a real server started here): every write of a run (a
 * metrics-only batch, `logMetric`, params, tags, a mixed batch, an artifact, dataset inputs) sent after
 * the run was deleted is `not_found` and stores nothing; batches sent while the run is being deleted
 * either land before the deletion (and go with the run) or are `not_found`: no row is left that
 * belongs to no run. And writes sent at once on one run (no deletion) do not deadlock each other.
 */
import { describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import { type Run, SqlTracker, type Tracker } from '../../src/tracking/index.js';
import { gate } from '../helpers/gate.js';
import { rejectedWith } from '../helpers/thrown.js';
import { hookedExecutor, usePgStores } from './pg-stores.js';

const CHILDREN = ['params', 'tags', 'metrics', 'latest_metrics', 'inputs', 'artifacts', 'batches'] as const;

describe('writes to a deleted PostgreSQL run', () => {
  const s = usePgStores('deleted_run');

  /** Rows of `runId` in each child table (all zero once the run is gone). */
  async function left(runId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of CHILDREN) {
      const r = await s.other.query(`SELECT COUNT(*) AS n FROM ${s.other.dialect.t(t)} WHERE run_id = $1`, [
        runId,
      ]);
      out[t] = Number(r.rows[0].n);
    }
    return out;
  }
  const none = Object.fromEntries(CHILDREN.map((t) => [t, 0]));

  const writes: [string, (run: Run) => Promise<unknown>][] = [
    [
      'a metrics-only batch',
      (run) => run.logBatch({ metrics: [{ key: 'm', value: 1, step: 1, timestamp: 1 }] }),
    ],
    ['logMetric', (run) => run.logMetric('m', 2)],
    ['a param', (run) => run.logParam('p', 'x')],
    ['a tag', (run) => run.setTag('t', 'v')],
    [
      'a batch of params, tags and metrics',
      (run) =>
        run.logBatch({
          params: [{ key: 'q', value: '1' }],
          tags: [{ key: 'u', value: 'w' }],
          metrics: [{ key: 'n', value: 3, step: 0, timestamp: 3 }],
        }),
    ],
    ['an artifact', (run) => run.logArtifact({ name: 'notes.txt', bytes: 'hello' })],
    [
      'dataset inputs',
      (run) =>
        run.logInputs([
          { name: 'd', digest: 'a'.repeat(64), rows: 1, startTime: 0, endTime: 0, context: 'training' },
        ]),
    ],
    ["the run's end", (run) => run.end()],
  ];

  it.each(writes)(
    '%s sent after the run was deleted: not_found, nothing stored',
    async (_, write) => {
      const run = await s.tracker.startRun({ experiment: 'deleted' });
      await run.logMetric('before', 1); // the tracker's pool connected, the tables made
      await s.other.deleteRun(run.id);
      await expect(write(run)).rejects.toMatchObject({ code: 'not_found' });
      expect(await left(run.id)).toEqual(none);
    },
    60_000,
  );

  it('40 writes at once on one run, 20 times (no deletion): every one stored, none ending in a deadlock', async () => {
    // the writes of one run hand on the ids of its acknowledged batches to be deleted; two writes
    // deleting the same ids (or upserting the same latest keys) in different orders deadlocked one of them
    const failed: string[] = [];
    for (let round = 0; round < 20; round++) {
      const run = await s.tracker.startRun({ experiment: 'busy' });
      await run.logMetric('before', 1);
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          i % 4 === 0
            ? run.logBatch({
                params: [{ key: `p${i}`, value: 'x' }],
                metrics: [
                  { key: 'b', value: i, step: i, timestamp: i },
                  { key: 'a', value: i, step: i, timestamp: i },
                ],
              })
            : run.logBatch({
                metrics: [
                  { key: 'a', value: i, step: i, timestamp: i },
                  { key: 'b', value: i, step: i, timestamp: i },
                ],
              }),
        ),
      );
      for (const r of results) if (r.status === 'rejected') failed.push(String(r.reason));
      await run.end();
      expect((await s.tracker.getMetricHistory(run.id, 'a')).length).toBe(
        results.filter((r) => r.status === 'fulfilled').length,
      );
    }
    expect(failed).toEqual([]);
  }, 120_000);

  it('tags and params of many keys sent at once in opposite key orders: none ending in a deadlock', async () => {
    // the latest values are upserted in key order; tags and params are upserted (or inserted) row by
    // row too, so two writes of the same keys in opposite orders each hold a row the other waits for
    const keys = Array.from({ length: 300 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    const failed: string[] = [];
    for (let round = 0; round < 4; round++) {
      const run = await s.tracker.startRun({ experiment: 'orders' });
      await run.logMetric('before', 1);
      const sends = Array.from({ length: 16 }, (_, i) => {
        const order = i % 2 === 0 ? keys : [...keys].reverse();
        const tags = order.map((key) => ({ key, value: `v${i}` }));
        const params = order.map((key) => ({ key, value: 'same' }));
        return i % 4 < 2
          ? run.logBatch({ tags }) // one upsert statement
          : run.logBatch({ params, tags, metrics: [{ key: 'm', value: i, step: i, timestamp: i }] });
      });
      for (const r of await Promise.allSettled(sends))
        if (r.status === 'rejected') failed.push(String(r.reason));
      await run.end();
      const rec = await s.tracker.getRun(run.id);
      expect(Object.keys(rec.data.tags).filter((k) => k.startsWith('k')).length).toBe(keys.length);
    }
    expect(failed).toEqual([]);
  }, 120_000);

  it.each([
    ['a tag', (run: Run) => run.setTag('t', 'v')],
    ['a param', (run: Run) => run.logParam('p', 'x')],
  ])(
    '%s written while the run ends: the end deletes the acknowledged batch ids, none left',
    async (_, write) => {
      // a write without a batch id of its own deletes none: holding the acknowledged ones meanwhile, it
      // kept them from the end, the run's last write, and gave them back after it: never deleted
      const run = await s.tracker.startRun({ experiment: 'ending' });
      await run.logMetric('m', 1); // its batch id acknowledged: the run's next batch or its end deletes it
      await Promise.all([write(run), run.end()]);
      expect((await left(run.id)).batches).toBe(0);
    },
  );

  /**
   * A tracker whose metrics-only batch statements can be held back (`hold`), through an executor of
   * the test's own (`hookedExecutor`): the batch is sent once the run's end has committed, then fails
   * (`fail`) or goes through.
   */
  function endRace(fail: boolean): { tracker: Tracker; arm: () => void } {
    let armed = false;
    const ended = gate();
    const tracker = new SqlTracker(s.uri, {
      executor: hookedExecutor(
        s.uri,
        async (text) => {
          if (!armed || !/ b AS \(INSERT INTO /.test(text)) return;
          armed = false;
          await ended.wait;
          if (fail) throw new Error('injected: the batch failed after the run ended');
        },
        (texts) => {
          if (texts.some((t) => /^UPDATE \S+ SET status/.test(t))) ended.open();
        },
      ),
    });
    return { tracker, arm: () => (armed = true) };
  }

  it.each([
    ['fails', true],
    ['is stored', false],
  ])(
    "a metrics batch sent with the run's end that %s after the end committed: no batch id left",
    async (_, fail) => {
      // the batch takes the acknowledged id of the metric before it, so the end has none to delete; until
      // fix 27 a batch that failed then gave it back, one that was stored added its own: the run's last
      // write was over, and neither was ever deleted
      const { tracker, arm } = endRace(fail);
      try {
        const run = await tracker.startRun({ experiment: 'end-race' });
        await run.logMetric('m', 1);
        arm();
        const [batch, end] = await Promise.allSettled([run.logMetric('m', 2), run.end()]);
        expect(end.status).toBe('fulfilled');
        expect(batch.status).toBe(fail ? 'rejected' : 'fulfilled');
        expect((await tracker.getMetricHistory(run.id, 'm')).length).toBe(fail ? 1 : 2);
        expect((await left(run.id)).batches).toBe(0);
      } finally {
        await tracker.close();
      }
    },
  );

  it('a metrics batch every send of which is stored but its reply lost (sql_connection_lost): its id stays until the run is deleted (a send of it may still be running)', async () => {
    // the write is over, but the server may still run a send of it that the client gave up on: deleting
    // the id (by the next write, or the end) would let that send store the points a second time (next
    // test), so the id stays in tsad_batches until the run is deleted
    let armed = false;
    const tracker = new SqlTracker(s.uri, {
      executor: hookedExecutor(s.uri, async (text, values) => {
        if (!armed || !/ b AS \(INSERT INTO /.test(text)) return;
        await s.other.query(text, values); // the server stores it (a resend: nothing twice) ...
        throw new Error('Connection terminated unexpectedly'); // ... and the reply never comes
      }),
    });
    try {
      const run = await tracker.startRun({ experiment: 'lost-reply' });
      await run.logMetric('m', 1);
      armed = true;
      await expect(run.logMetric('m', 2)).rejects.toMatchObject({ code: 'sql_connection_lost' });
      armed = false;
      expect((await tracker.getMetricHistory(run.id, 'm')).length).toBe(2);
      expect((await left(run.id)).batches).toBe(1);
      await run.end();
      expect((await left(run.id)).batches).toBe(1);
      expect((await tracker.getMetricHistory(run.id, 'm')).length).toBe(2);
      await s.other.deleteRun(run.id);
      expect(await left(run.id)).toEqual(none);
    } finally {
      await tracker.close();
    }
  });

  it('a metrics batch acknowledged on its second send, its first still on its way to the server and run after the next batch: its points stored once', async () => {
    // the first send's connection is lost before its reply, the statement still reaching the server;
    // the resend is stored and acknowledged. Had the next batch deleted the id, the first send would
    // find none when it runs and store the points again
    let armed = false;
    const sent = gate();
    let late: Promise<unknown> | undefined;
    const tracker = new SqlTracker(s.uri, {
      executor: hookedExecutor(s.uri, async (text, values) => {
        if (!armed || !/ b AS \(INSERT INTO /.test(text)) return;
        armed = false;
        late = sent.wait.then(() => s.other.query(text, values)); // still on its way
        throw new Error('Connection terminated unexpectedly');
      }),
    });
    try {
      const run = await tracker.startRun({ experiment: 'late-first-send' });
      await run.logMetric('m', 1);
      armed = true;
      await run.logMetric('m', 2);
      expect(late).toBeDefined();
      await run.logMetric('m', 3);
      sent.open();
      await late;
      await run.end();
      const values = (await tracker.getMetricHistory(run.id, 'm')).map((p) => p.value);
      expect(values.sort()).toEqual([1, 2, 3]);
    } finally {
      await tracker.close();
    }
  });

  it('a metrics batch given up on (sql_connection_lost) whose second send the server runs only after the next batch: its points stored once', async () => {
    // the first send is stored and its reply lost; the second is still on its way to the server when
    // the client gives up (its connection lost too) and runs after the run's next batch has committed.
    // Had that batch deleted the first send's id, the second would find no id and store the points again
    let armed = false;
    let sends = 0;
    const sent = gate();
    let late: Promise<unknown> | undefined;
    const tracker = new SqlTracker(s.uri, {
      executor: hookedExecutor(s.uri, async (text, values) => {
        if (!armed || !/ b AS \(INSERT INTO /.test(text)) return;
        const n = sends++;
        if (n === 0) await s.other.query(text, values); // stored, its reply lost
        if (n === 1) late = sent.wait.then(() => s.other.query(text, values)); // still on its way
        throw new Error('Connection terminated unexpectedly');
      }),
    });
    try {
      const run = await tracker.startRun({ experiment: 'late-send' });
      await run.logMetric('m', 1);
      armed = true;
      await expect(run.logMetric('m', 2)).rejects.toMatchObject({ code: 'sql_connection_lost' });
      armed = false;
      expect(late).toBeDefined();
      await run.logMetric('m', 3);
      sent.open();
      await late;
      await run.end();
      const values = (await tracker.getMetricHistory(run.id, 'm')).map((p) => p.value);
      expect(values.sort()).toEqual([1, 2, 3]);
    } finally {
      await tracker.close();
    }
  });

  it.each(['before', 'after'] as const)(
    "a model version registered while its run is deleted (the deletion sent %s its transaction's first statement): not_found, or stored first and the deletion waits for it; no id of it left",
    async (when) => {
      // until fix 27 the run was checked before the transaction, without a lock: a deletion before the
      // transaction left a version of a run that was gone, and either way the registration's ids stayed
      // in tsad_batches (inserted after the deletion had deleted the run's rows)
      let deleteAt = -1; // the transaction's statement the deletion comes before
      let runId = '';
      let deletion: Promise<void> | undefined;
      let seen = 0;
      const tracker = new SqlTracker(s.uri, {
        executor: hookedExecutor(s.uri, async (_text, _values, inTx) => {
          if (deleteAt < 0 || !inTx || seen++ !== deleteAt) return;
          deleteAt = -1;
          deletion = s.other.deleteRun(runId);
          if (when === 'before') await deletion;
          else await new Promise((r) => setTimeout(r, 300)); // the deletion waits on the run's row meanwhile
        }),
      });
      try {
        const run = await tracker.startRun({ experiment: 'register-race' });
        await run.logMetric('m', 1);
        await run.logArtifact({ name: 'model/model.json', bytes: '{}' }); // registerModel needs a model
        await run.end();
        runId = run.id;
        deleteAt = when === 'before' ? 0 : 1; // after: once the first statement was answered
        const name = `raced-${when}`;
        const registered = tracker.registerModel(name, run.id);
        if (when === 'before') {
          await expect(registered).rejects.toMatchObject({ code: 'not_found' });
          await expect(tracker.listModelVersions(name)).rejects.toMatchObject({ code: 'not_found' });
        } else {
          expect((await registered).version).toBe(1);
        }
        expect(deletion).toBeDefined();
        await deletion;
        await expect(tracker.getRun(run.id)).rejects.toMatchObject({ code: 'not_found' });
        expect(await left(run.id)).toEqual(none);
      } finally {
        await tracker.close();
      }
    },
  );

  it('40 batches sent while the run is deleted: each stored before the deletion (and deleted with the run) or not_found; no row left without its run', async () => {
    for (let round = 0; round < 5; round++) {
      const run = await s.tracker.startRun({ experiment: 'deleted' });
      await run.logMetric('before', 1);
      const sends = Array.from({ length: 40 }, (_, i) =>
        i % 4 === 0
          ? run.logBatch({
              params: [{ key: `p${i}`, value: 'x' }],
              metrics: [{ key: 'm', value: i, step: i, timestamp: i }],
            })
          : i % 4 === 1
            ? run.setTag(`t${i}`, 'v')
            : run.logBatch({ metrics: [{ key: 'm', value: i, step: i, timestamp: i }] }),
      );
      const deletion = s.other.deleteRun(run.id);
      const results = await Promise.allSettled([...sends, deletion]);
      const codes = new Set(
        results.map((r) => (r.status === 'fulfilled' ? 'ok' : String((r.reason as { code?: unknown }).code))),
      );
      const failed = results.filter(
        (r) => r.status === 'rejected' && (r.reason as { code?: unknown }).code !== 'not_found',
      );
      expect(failed.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      expect([...codes].every((c) => c === 'ok' || c === 'not_found')).toBe(true);
      expect(results.at(-1)?.status).toBe('fulfilled');
      expect(await left(run.id)).toEqual(none);
    }
  }, 120_000);
});

describe('deleteRun and a registration of the same PostgreSQL run at once (one transaction)', () => {
  const s = usePgStores('delete_registered');
  const model = { type: 'fake', config: { k: 1 }, toJSON: () => ({ format: 'tsad-model', version: 1 }) };

  /** A run with a logged model, and what a reader sees of it. */
  async function modelRun(): Promise<string> {
    return s.tracker.run({ experiment: 'del-reg' }, async (run) => {
      await run.logMetric('m', 1);
      await run.logModel(model);
      return run.id;
    });
  }

  /** The deletion refused as `run_registered`, naming the version; the run and its data all there. */
  async function expectRefusedAndKept(
    deleting: Promise<unknown>,
    runId: string,
    name: string,
  ): Promise<void> {
    const err = await rejectedWith(TrackingError, deleting);
    expect(err.code).toBe('run_registered');
    expect(err.message).toContain(`"${name}" version 1`);
    const r = await s.tracker.getRun(runId);
    expect(r.data.metrics.m.value).toBe(1);
    expect((await s.tracker.getModelVersion(name, 1)).runId).toBe(runId);
    expect(await s.tracker.loadModelJson(`models:/${name}/1`)).toEqual(model.toJSON());
  }

  it('a registration that commits after the registry check, before the run is deleted: the deletion is refused, the run kept', async () => {
    // until fix40 the check (a SELECT of its own) came before the deletion's transaction: a version
    // registered in between was left pointing at a deleted run (loading it: not_found)
    const runId = await modelRun();
    const name = `between-${runId.slice(0, 6)}`;
    let armed = false;
    const deleter = new SqlTracker(s.uri, {
      executor: hookedExecutor(s.uri, async (_text, _values, inTx) => {
        if (!armed || !inTx) return;
        armed = false;
        // the deletion's transaction is about to send its first statement: another process registers now
        await s.other.registry.registerModel(name, runId, 'model');
      }),
    });
    try {
      await deleter.getRun(runId); // connected, its tables made: the next transaction is the deletion's
      armed = true;
      await expectRefusedAndKept(deleter.deleteRun(runId), runId, name);
      expect(armed).toBe(false);
    } finally {
      await deleter.close();
    }
  });

  it('a registration in flight (its transaction holds the run) when the deletion starts: the deletion waits for it, then is refused', async () => {
    const runId = await modelRun();
    const name = `inflight-${runId.slice(0, 6)}`;
    const released = gate();
    const held = gate();
    const registrar = new SqlTracker(s.uri, {
      executor: hookedExecutor(s.uri, async (text, _values, inTx) => {
        // the registration has read (and locked) the run's row; it waits before adding its version
        if (inTx && /^INSERT INTO \S*model_versions/.test(text)) {
          held.open();
          await released.wait;
        }
      }),
    });
    try {
      const registering = registrar.registerModel(name, runId);
      await held.wait;
      const deleting = s.tracker.deleteRun(runId);
      deleting.catch(() => undefined); // awaited below, once the registration is let go
      // the deletion is waiting on a lock held by the registration (another session's row lock)
      const deadline = Date.now() + 20_000;
      for (;;) {
        const w = await s.other.query(
          "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        if (Number(w.rows[0].n) > 0) break;
        if (Date.now() > deadline) throw new Error('the deletion never waited on the registration');
        await new Promise((r) => setTimeout(r, 20));
      }
      released.open();
      expect((await registering).version).toBe(1);
      await expectRefusedAndKept(deleting, runId, name);
    } finally {
      released.open();
      await registrar.close();
    }
  });

  it('a deletion that comes first: the registration is not_found and stores nothing; forced, the registered run is deleted', async () => {
    const runId = await modelRun();
    const name = `after-${runId.slice(0, 6)}`;
    await s.tracker.deleteRun(runId);
    await expect(s.tracker.registerModel(name, runId)).rejects.toMatchObject({ code: 'not_found' });
    await expect(s.tracker.listModelVersions(name)).rejects.toMatchObject({ code: 'not_found' });
    const kept = await modelRun();
    await s.tracker.registerModel(`${name}-f`, kept);
    await expect(s.tracker.deleteRun(kept)).rejects.toMatchObject({ code: 'run_registered' });
    await s.tracker.deleteRun(kept, { force: true });
    await expect(s.tracker.getRun(kept)).rejects.toMatchObject({ code: 'not_found' });
  });
});

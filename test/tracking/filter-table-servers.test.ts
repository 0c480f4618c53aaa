import { afterAll, beforeAll } from 'vitest';
import { createMlflowTracker, openTracker, type Tracker } from '../../src/tracking/index.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';
import { describeTableOn } from './filter-table.js';
import { type PgServer, startPostgres } from './pg-server.js';

// The filter table (filter-table.ts) on the backends behind a server: PostgreSQL and the real MLflow
// server. filter-table.test.ts checks the same table on the matcher, memory and the local store.

let pg: PgServer | undefined;
let mlflow: MlflowServer | undefined;
beforeAll(async () => {
  [pg, mlflow] = await Promise.all([startPostgres(), startMlflow({ backend: 'sqlite' })]);
}, 180_000);
afterAll(async () => {
  await Promise.all([pg?.stop(), mlflow?.close()]);
});

const BACKENDS: [string, () => Tracker][] = [
  ['PostgreSQL', () => openTracker(`${pg?.uri}?schema=filter_table`)],
  ['MLflow (real server)', () => createMlflowTracker(mlflow?.url ?? '', { env: {} as NodeJS.ProcessEnv })],
];

describeTableOn(BACKENDS);

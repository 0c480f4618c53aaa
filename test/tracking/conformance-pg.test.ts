import { openTracker } from '../../src/tracking/index.js';
import { runTrackerConformance } from '../conformance/tracker-suite.js';
import { type PgServer, startPostgres } from './pg-server.js';

// a real PostgreSQL server, started by the test itself (see pg-server.ts)
let server: PgServer | undefined;
runTrackerConformance(
  'PostgreSQL',
  async () => {
    server = await startPostgres();
    return openTracker(`${server.uri}?schema=conformance`);
  },
  {
    cleanup: async () => server?.stop(),
    second: () => openTracker(`${server?.uri}?schema=conformance`),
  },
);

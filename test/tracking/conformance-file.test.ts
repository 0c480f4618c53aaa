import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTracker } from '../../src/tracking/index.js';
import { runTrackerConformance } from '../conformance/tracker-suite.js';

let dir = '';
runTrackerConformance(
  'local file store',
  async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-conf-'));
    return openTracker(`file:${join(dir, 'store')}`);
  },
  {
    cleanup: () => rm(dir, { recursive: true, force: true }),
    second: () => openTracker(`file:${join(dir, 'store')}`),
  },
);

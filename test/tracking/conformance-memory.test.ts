import { openTracker } from '../../src/tracking/index.js';
import { runTrackerConformance } from '../conformance/tracker-suite.js';

runTrackerConformance('memory', () => openTracker('memory:'));

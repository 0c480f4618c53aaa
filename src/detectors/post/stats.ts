// Moved to src/math (one numerics home); re-exported here until the importers are rewired.
export { erf } from '../../math/erf.js';
export { normalCdf } from '../../math/normal.js';
export { percentileSorted, quantileSorted } from '../../math/quantile.js';

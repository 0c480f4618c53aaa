// Moved to src/math (one numerics home); re-exported here until the importers are rewired.
export { Rng } from '../math/rng.js';

// Moved to src/math (one numerics home); re-exported here until the importers are rewired.
export { projectedGradientNorm } from '../../math/box.js';
export {
  type LbfgsbOptions,
  type LbfgsbResult,
  type LbfgsbStatus,
  minimizeLbfgsb,
  type ObjectiveWithGradient,
} from '../../math/lbfgsb.js';
export { numericGradient } from '../../math/numeric-gradient.js';

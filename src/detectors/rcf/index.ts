export { ModelFormatError } from '../../errors.js';
export { CutForest, type CutForestOptions } from './forest.js';
export { CutTree, type CutTreeSpec, prevDouble, type Uniform } from './tree.js';

export { ModelFormatError } from '../../errors.js';
export { CutForest, type CutForestOptions, rejectBound } from './forest.js';
export { CutTree, type CutTreeSpec, prevDouble, type Uniform } from './tree.js';

/**
 * Counts the steps down of the calibrator's PCHIP curve between neighbouring doubles (docs/detectors.md,
 * Post-processing): from 6 starting points in each segment, 20,000 consecutive doubles each.
 *
 *   npx tsx bench/calibrator-steps.ts
 */
import { AnomScoreCalibrator } from '../src/detectors/post/calibrator.js';
import { prevDouble } from '../test/helpers/doubles.js';

/** The next double above x (x finite). */
const nextUp = (x: number): number => -prevDouble(-x);

function steps(xs: number[], ys: number[]): { down: number; pairs: number } {
  const c = new AnomScoreCalibrator(1e15, false);
  c.setAnchorPoints(xs, ys);
  let down = 0;
  let pairs = 0;
  for (let k = 0; k < xs.length - 1; k++) {
    for (const frac of [0, 0.001, 0.3, 0.5, 0.77, 0.999]) {
      let v = xs[k] + frac * (xs[k + 1] - xs[k]);
      let prev = c.calibrateOne(v);
      for (let j = 0; j < 20_000; j++) {
        v = nextUp(v);
        const f = c.calibrateOne(v);
        pairs++;
        if (f < prev) down++;
        prev = f;
      }
    }
  }
  return { down, pairs };
}

for (const [name, xs, ys] of [
  ['x [0, 1, 2], y [0, 1, 1 + 1e-10]', [0, 1, 2], [0, 1, 1 + 1e-10]],
  ['ordinary', [0.1, 0.5, 0.9, 1.4, 2.0, 3.3], [0, 0.5, 1, 1.5, 2, 3.03]],
] as const) {
  const { down, pairs } = steps([...xs], [...ys]);
  process.stdout.write(`${name}: ${down} steps down in ${pairs} pairs of neighbouring doubles\n`);
}

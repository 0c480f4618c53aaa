import { loadNab } from '../../../src/datasets/index.js';

/**
 * NAB machine temperature (duplicates merged by max on the 5-minute grid) and the spec's train
 * split: rows with index ≤ 0.15·N, i.e. up to 2013-12-14 16:45 (3403 rows).
 */
export async function machineTemperature(): Promise<{ t: Float64Array; v: Float64Array; nTrain: number }> {
  const ds = await loadNab('realKnownCause/machine_temperature_system_failure.csv', { onWarning: () => {} });
  const { t, v } = ds.series;
  return { t, v, nTrain: Math.floor(0.15 * t.length) + 1 };
}

/**
 * Issue 5 point 3 / issue 7 point 2: `defaultDetector()` with default settings (seed 0) on the NAB
 * machine-temperature experiment, scored with Merlion's revised point-adjusted metrics.
 */
import { describe, expect, it } from 'vitest';
import { loadNab } from '../../src/datasets/index.js';
import { defaultDetector, makeThresholdRule } from '../../src/detectors/index.js';
import { MACHINE_TEMPERATURE_FILE, SPLIT_TIME, TEST_WINDOWS as WINDOWS } from '../../src/internal.js';
import { evaluate } from '../../src/metrics/index.js';
import { dateBin, splitAt } from '../../src/series/index.js';

/** The experiment's data: 5-minute max bins, train before 2013-12-15, test from then on. */
async function machineTemperature() {
  const ds = await loadNab(MACHINE_TEMPERATURE_FILE, { onWarning: () => {} });
  const all = dateBin(ds.rows, { everyMs: 5 * 60_000, aggregate: 'max' });
  const [train, test] = splitAt(all, SPLIT_TIME);
  return { all, train, test };
}
const e = await machineTemperature();

/** Merlion DefaultDetector's mean time to detect on this experiment: 1 d 09:50. */
const REFERENCE_MTTD_SEC = 24 * 3600 + 9 * 3600 + 50 * 60;

describe('defaultDetector on NAB machine temperature', () => {
  const d = defaultDetector({ seed: 0 });
  d.train(e.train);
  const scores = d.score(e.test, { prev: e.train });
  // the ensemble's rule, untrained without labels: AggregateAlarms(3) as configured
  const post = makeThresholdRule(d.config.threshold).apply(scores);
  const alarms = Array.from(post.t).filter((_, i) => post.v[i] !== 0);
  const report = evaluate({ t: e.all.t, truth: WINDOWS, tPred: post.t, pred: post.v });

  it('matches or beats the reference: F1 ≥ 2/3 and mean time to detect below 1 d 09:50', () => {
    // no member dropped on the real data (the seasonal-change member is there, off: no period; the
    // level-drift member of round 19a is there too)
    expect(d.usedMembers).toEqual([0, 1, 2, 3]);
    expect((d.members[0] as unknown as { usedMembers: number[] }).usedMembers).toEqual([0, 1, 2]);
    expect(report.f1).toBeGreaterThanOrEqual(2 / 3 - 1e-12);
    expect(report.meanTimeToDetectSec).toBeGreaterThan(0);
    expect(report.meanTimeToDetectSec).toBeLessThan(REFERENCE_MTTD_SEC);
    // the two windows whose temperature leaves the training range (2013-12-16, 2014-02-08) are found
    for (const w of [WINDOWS[0], WINDOWS[2]]) expect(alarms.some((t) => t >= w[0] && t <= w[1])).toBe(true);
  });

  it('streams exactly the batch scores and alarms', () => {
    const fresh = defaultDetector({ seed: 0 });
    fresh.train(e.train);
    const st = fresh.stream();
    const streamed: number[] = [];
    expect(scores.t.length).toBe(e.test.t.length);
    for (let i = 0; i < e.test.t.length; i++) {
      const r = st.push(e.test.t[i], e.test.v[i]);
      if (!Object.is(r.score, scores.v[i]))
        expect.fail(`point ${i}: stream ${r.score} vs batch ${scores.v[i]}`);
      if (r.alarm) streamed.push(e.test.t[i]);
    }
    expect(streamed).toEqual(alarms);
  });
});

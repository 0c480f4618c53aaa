/**
 * Watching a deployed detector for drift. A `Monitor` compares rolling windows of the input values,
 * the anomaly scores and the alarms with the training reference (two-sample Kolmogorov–Smirnov with
 * its p-value, population stability index, Jensen–Shannon divergence) in constant memory per series,
 * and reports a drift event when a channel moves both significantly and by enough to matter. Each
 * check is logged to a tracked run as metrics with a step; `monitorRecords` gives the rows of the
 * monitoring table (timestamp, series, statistic, value, reference_run) that Grafana can chart.
 *
 *   npx tsx examples/drift-monitor.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTracker, ZmsDetector } from 'tsad';
import { Monitor, monitorMetrics, monitorRecords } from 'tsad/lifecycle';

const STEP = 5 * 60_000; // 5-minute points
const DAY = 288; // points per day
const t0 = Date.UTC(2024, 0, 1);
// a daily cycle with noise; from day 10 on, the level is 4 higher (what the monitor should notice)
const value = (i: number) =>
  50 + 5 * Math.sin((2 * Math.PI * i) / DAY) + 1.5 * Math.sin(i * 12.9898) + (i >= 10 * DAY ? 4 : 0);
const n = 14 * DAY;
const t = Float64Array.from({ length: n }, (_, i) => t0 + i * STEP);
const v = Float64Array.from({ length: n }, (_, i) => value(i));
const trainN = 7 * DAY;
const train = { t: t.subarray(0, trainN), v: v.subarray(0, trainN) };

const det = new ZmsDetector({ nLags: 0 });
det.train(train);
// the reference: the training values, and the model's scores (what its stream gives) and alarms on them
const refScores = det.score(train).v;
const alarmed = new Set(det.detect(train).alarms.map((a) => a.t));

const store = mkdtempSync(join(tmpdir(), 'tsad-drift-example-'));
const tracker = openTracker(`file:${store}`);
try {
  await tracker.run({ experiment: 'drift-example', name: 'monitor' }, async (run) => {
    const monitor = new Monitor({
      series: 'machine-1',
      referenceRun: run.id,
      reference: {
        value: train.v,
        score: refScores,
        alarm: Float64Array.from(train.t, (x) => (alarmed.has(x) ? 1 : 0)),
      },
      window: DAY, // compare the last day with the reference
      every: DAY / 4, // every 6 hours
    });
    const stream = det.stream();
    let checks = 0;
    let events = 0;
    let falseEvents = 0;
    for (let i = trainN; i < n; i++) {
      const { score, alarm } = stream.push(t[i], v[i]);
      const check = monitor.push(t[i], v[i], score, alarm);
      if (!check) continue;
      checks++;
      await run.logMetrics(monitorMetrics(check), { step: check.step, timestamp: check.t });
      if (check.drift) {
        events++;
        if (check.t < t0 + 10 * DAY * STEP) falseEvents++; // before the shift: a false alarm
        const value = check.channels.value;
        if (events === 1 && value) {
          console.log(
            `first drift event at ${new Date(check.t).toISOString()}: values KS D ${value.ksD.toFixed(3)} (p ${value.ksP.toExponential(1)}), PSI ${value.psi.toFixed(2)}, JS ${value.js.toFixed(3)} bits`,
          );
          console.log(`  ${monitorRecords(check).length} rows for the monitoring table, e.g.`);
          for (const r of monitorRecords(check).slice(0, 3)) {
            console.log(`  ${new Date(r.timestamp).toISOString()} ${r.series} ${r.statistic} ${r.value.toFixed(4)}`);
          }
        }
      }
    }
    console.log(`${checks} checks: ${events - falseEvents} drift events after the shift, ${falseEvents} before it`);
  });
} finally {
  await tracker.close();
  rmSync(store, { recursive: true, force: true });
}

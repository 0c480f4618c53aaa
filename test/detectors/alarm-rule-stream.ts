/** Helpers shared by the alarm-rule tests (count-points, relax-by-count): a rule streamed over scores. */
import { AggregateAlarms } from '../../src/detectors/index.js';

export const MIN = 60_000;

/** The alarms (0/1) of an `AggregateAlarms` rule streamed over scores at the given times. */
export function alarms(
  cfg: ConstructorParameters<typeof AggregateAlarms>[0],
  t: number[],
  s: number[],
): number[] {
  const st = new AggregateAlarms(cfg).streamer();
  return t.map((ti, i) => (st.push(ti, s[i]) !== 0 ? 1 : 0));
}

/** Times at a fixed step (minutes), and scores 0 but for `hits` (index → score). */
export function series(
  n: number,
  stepMin: number,
  hits: Record<number, number>,
): { t: number[]; s: number[] } {
  const t = Array.from({ length: n }, (_x, i) => i * stepMin * MIN);
  const s = Array.from({ length: n }, (_x, i) => hits[i] ?? 0);
  return { t, s };
}

/** Increasing times for `n` points: each after the one before by `steps[i]` minutes (the first too). */
export function timesFromSteps(steps: readonly number[], n: number): number[] {
  const t: number[] = [];
  let now = 0;
  for (let i = 0; i < n; i++) {
    now += steps[i] * MIN;
    t.push(now);
  }
  return t;
}

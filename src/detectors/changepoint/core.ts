/**
 * Streaming change-point core: a robust two-sided CUSUM on seasonal residuals (docs/detectors-quality.md).
 *
 * Training learns the dominant period (autocorrelation), a per-phase seasonal profile, the level and a
 * robust residual scale (1.4826 · MAD, widened by √((1+ρ)/(1−ρ)) for the residuals' lag-1 autocorrelation ρ). Each point's residual `r = v − profile[phase] − level` is
 * standardised and clipped to ±`clip` (one outlier cannot start an alarm), and feeds the Page CUSUM pair
 * `S⁺ = max(0, S⁺ + z − k)`, `S⁻ = max(0, S⁻ − z − k)`. The raw score is `max(S⁺, S⁻)`. When it passes `h`
 * the level adopts the mean residual of the current excursion and both sums restart, so a level shift is
 * reported once, then becomes the new normal; a drift keeps restarting the sums while it lasts.
 * Contract-agnostic: `fit`, `scoreRow`, `state`/`restore` over typed arrays, no allocation per point.
 */
import { ModelFormatError } from '../../errors.js';
import { dominantPeriod, median } from '../discord/period.js';
import { decodeFloats, encodeFloats, field } from '../json.js';
import type { JsonValue } from '../types.js';

export interface ChangePointParams {
  /** Allowance `k` in residual standard deviations. */
  readonly k: number;
  /** Decision level `h`: above it the level is re-anchored. */
  readonly h: number;
  /** Clip of the standardised residual. */
  readonly clip: number;
  /** Seasonal period in points; `null` = the dominant period of the training data (0 = none). */
  readonly period: number | null;
}

export class ChangePointCore {
  private profile: Float64Array = new Float64Array(1);
  private level = 0;
  private scale = 1;
  private t0 = 0;
  private step = 1;
  private sPos = 0;
  private sNeg = 0;
  private runSum = 0;
  private runN = 0;

  constructor(readonly params: ChangePointParams) {}

  get period(): number {
    return this.profile.length;
  }

  /** Learns profile, level and scale from `v` (times `t`), then scores the training points in order. */
  fit(t: Float64Array, v: Float64Array): Float64Array {
    const n = v.length;
    const p = Math.max(1, this.params.period ?? dominantPeriod(v));
    this.t0 = t[0];
    const d = new Float64Array(Math.max(0, n - 1));
    for (let i = 1; i < n; i++) d[i - 1] = t[i] - t[i - 1];
    this.step = n > 1 ? median(d) : 1;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += v[i];
    mean /= n;
    this.profile = new Float64Array(p); // phase() reads the period from the profile's length
    const sum = new Float64Array(p);
    const cnt = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      const ph = this.phase(t[i]);
      sum[ph] += v[i] - mean;
      cnt[ph]++;
    }
    for (let j = 0; j < p; j++) this.profile[j] = cnt[j] > 0 ? sum[j] / cnt[j] : 0;
    this.level = mean;
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = v[i] - this.profile[this.phase(t[i])] - mean;
    const med = median(r);
    // lag-1 autocorrelation of the residuals: sums of correlated residuals spread by √((1+ρ)/(1−ρ))
    // (the long-run standard deviation of an AR(1) process), so the CUSUM is standardised by that
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      den += (r[i] - med) ** 2;
      if (i > 0) num += (r[i] - med) * (r[i - 1] - med);
    }
    const rho = den > 0 ? Math.min(0.95, Math.max(0, num / den)) : 0;
    for (let i = 0; i < n; i++) r[i] = Math.abs(r[i] - med);
    const floor = 1e-9 * Math.max(1, Math.abs(mean));
    this.scale = Math.max(1.4826 * median(r) * Math.sqrt((1 + rho) / (1 - rho)), floor);
    this.sPos = 0;
    this.sNeg = 0;
    this.runSum = 0;
    this.runN = 0;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.scoreRow(t[i], v[i]);
    return out;
  }

  private phase(t: number): number {
    const p = this.profile.length;
    const k = Math.round((t - this.t0) / this.step);
    return ((k % p) + p) % p;
  }

  /** Scores one point and updates the sums (and the level after a detected change). */
  scoreRow(t: number, v: number): number {
    const { k, h, clip } = this.params;
    const r = v - this.profile[this.phase(t)] - this.level;
    let z = r / this.scale;
    if (z > clip) z = clip;
    else if (z < -clip) z = -clip;
    this.sPos = Math.max(0, this.sPos + z - k);
    this.sNeg = Math.max(0, this.sNeg - z - k);
    const s = Math.max(this.sPos, this.sNeg);
    if (s > 0) {
      this.runSum += r;
      this.runN++;
    } else {
      this.runSum = 0;
      this.runN = 0;
    }
    if (s > h && this.runN > 0) {
      this.level += this.runSum / this.runN;
      this.sPos = 0;
      this.sNeg = 0;
      this.runSum = 0;
      this.runN = 0;
    }
    return s;
  }

  state(): JsonValue {
    return {
      profile: encodeFloats(this.profile),
      num: encodeFloats([
        this.level,
        this.scale,
        this.t0,
        this.step,
        this.sPos,
        this.sNeg,
        this.runSum,
        this.runN,
      ]),
    };
  }

  restore(state: unknown, path: string): void {
    const profile = decodeFloats(field(state, 'profile', path), `${path}.profile`);
    const num = decodeFloats(field(state, 'num', path), `${path}.num`, 8);
    if (
      profile.length < 1 ||
      profile.length > 1e6 ||
      !num.every((x) => Math.abs(x) <= 1e15) ||
      !profile.every((x) => Math.abs(x) <= 1e15)
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}: expected a profile of 1..1e6 values and 8 numbers, all at most 1e15 in size`,
      );
    }
    if (!(num[1] > 0) || !(num[3] > 0) || num[4] < 0 || num[5] < 0 || num[7] < 0) {
      throw new ModelFormatError('bad_field', `${path}.num: scale and step must be > 0, sums and count ≥ 0`);
    }
    this.profile = profile;
    [this.level, this.scale, this.t0, this.step, this.sPos, this.sNeg, this.runSum, this.runN] = num;
  }
}

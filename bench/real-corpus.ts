/**
 * A seeded corpus of single-anomaly series modelled on the families of the UCR / KDD Cup 2021 anomaly
 * archive (Wu & Keogh 2021), in NAB's layout, for locate mode only (docs/evaluation.md). Six families,
 * each with its own waveform, period range, cycle-to-cycle variation, noise and baseline:
 *
 * - `ecg`: P-QRS-T beats, period 80–400 points, baseline wander;
 * - `resp`: breaths with a fast inhale and a slow exhale, period 150–800, 5–10 % breath-to-breath
 *   variation in length and depth;
 * - `gait`: a double-peaked step cycle (heel strike, push-off), period 40–200;
 * - `valve`: an actuation cycle (a current rise with a small transient, a hold, a fall, a long rest),
 *   period 300–1,500, little noise;
 * - `sensor`: a noisy industrial signal with a weak cycle (two harmonics, noise 15–40 % of the cycle),
 *   period 20–300, and a slow drifting level;
 * - `epg`: an insect feeding signal (a sawtooth of varying slope with a small ripple), period 30–200.
 *
 * Anomaly types, one per series, placed in the last 55 % of the series (the training prefix of locate
 * mode is the first 30 %): `premature` (a cycle begins early; an ECG beat also loses its P wave and
 * widens), `missing` (one cycle stays at the resting value), `slow` (one cycle 1.5–2× longer),
 * `shape` (one feature of one cycle changes by 40–70 %: the subtle kind), `noise` (a burst of noise
 * 4–8× the usual for half a cycle to a cycle), `spike` (a 1–3 point spike of 15–40 % of the cycle's
 * range, inside the normal range of values), `amplitude` (two to four cycles at 55–70 % or 135–150 %
 * of their height).
 *
 * Kinds are written as `family:type`. Seeds 1–3 and 101–303 are tuning data (all already used by the
 * locate rounds of docs/evaluation.md); 401–403 are held out and not yet used. Generated data is never
 * committed: write it to a scratch folder.
 *
 *   npx tsx bench/real-corpus.ts <outDir> <seed> [perCell=1]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gaussOne, Rng } from '../src/math/rng.js';

const FAMILIES = ['ecg', 'resp', 'gait', 'valve', 'sensor', 'epg'] as const;
const TYPES = ['premature', 'missing', 'slow', 'shape', 'noise', 'spike', 'amplitude'] as const;
type Family = (typeof FAMILIES)[number];
type Type = (typeof TYPES)[number];

const [out, seedArg, perCellArg = '1'] = process.argv.slice(2);
if (!out || seedArg === undefined) throw new Error('usage: real-corpus.ts <outDir> <seed> [perCell]');
const rng = new Rng(Number(seedArg));
const perCell = Number(perCellArg);
const T0 = Date.UTC(2024, 0, 1);
const STEP = 1000;

const gauss = (): number => gaussOne(rng);
const uni = (a: number, b: number) => a + (b - a) * rng.float();
const logUni = (a: number, b: number) => Math.exp(uni(Math.log(a), Math.log(b)));
const bump = (u: number, c: number, w: number) => Math.exp(-0.5 * ((u - c) / w) ** 2);
const sig = (u: number, c: number, s: number) => 1 / (1 + Math.exp(-s * (u - c)));

/** Per-family generation parameters. */
interface FamilySpec {
  period: [number, number];
  /** Cycle-length jitter (relative sd) and per-feature amplitude variation (relative sd). */
  jitter: [number, number];
  ampVar: [number, number];
  /** Noise sd relative to the cycle's range. */
  noise: [number, number];
  /** Baseline wander amplitude relative to the cycle's range. */
  wander: [number, number];
  /** Value at phase u with feature scales f (4 features); `pvc` for the premature ECG beat. */
  wave: (u: number, f: Float64Array, pvc: boolean) => number;
  /** The resting value (a missing cycle stays there). */
  rest: number;
}

const SPECS: Record<Family, FamilySpec> = {
  ecg: {
    period: [80, 400],
    jitter: [0.01, 0.04],
    ampVar: [0.02, 0.06],
    noise: [0.005, 0.03],
    wander: [0.05, 0.4],
    wave: (u, f, pvc) =>
      pvc
        ? -0.6 * f[1] * bump(u, 0.42, 0.05) +
          1.1 * f[1] * bump(u, 0.5, 0.04) -
          0.4 * f[2] * bump(u, 0.72, 0.08)
        : 0.12 * f[0] * bump(u, 0.2, 0.03) -
          0.1 * bump(u, 0.37, 0.01) +
          f[1] * bump(u, 0.4, 0.012) -
          0.2 * f[3] * bump(u, 0.43, 0.012) +
          0.28 * f[2] * bump(u, 0.65, 0.05),
    rest: 0,
  },
  resp: {
    period: [150, 800],
    jitter: [0.04, 0.1],
    ampVar: [0.04, 0.1],
    noise: [0.005, 0.03],
    wander: [0.05, 0.3],
    wave: (u, f) =>
      f[1] *
        (u < 0.35 * f[0]
          ? Math.sin((Math.PI / 2) * (u / (0.35 * f[0]))) ** 2
          : Math.cos((Math.PI / 2) * Math.min(1, (u - 0.35 * f[0]) / (1 - 0.35 * f[0]))) ** 2) +
      0.08 * f[2] * bump(u, 0.55, 0.05),
    rest: 0,
  },
  gait: {
    period: [40, 200],
    jitter: [0.01, 0.04],
    ampVar: [0.02, 0.06],
    noise: [0.01, 0.05],
    wander: [0, 0.1],
    wave: (u, f) =>
      f[1] * bump(u, 0.15, 0.06) + 0.8 * f[2] * bump(u, 0.45, 0.07) - 0.3 * f[3] * bump(u, 0.75, 0.1),
    rest: 0,
  },
  valve: {
    period: [300, 1500],
    jitter: [0.002, 0.01],
    ampVar: [0.005, 0.02],
    noise: [0.003, 0.015],
    wander: [0, 0.03],
    // rise at 0.1 (steepness f[0]), transient bump, hold, fall at 0.45, rest
    wave: (u, f) =>
      f[1] * sig(u, 0.1, 150 * f[0]) * (1 - sig(u, 0.45, 150)) + 0.25 * f[2] * bump(u, 0.16, 0.015),
    rest: 0,
  },
  sensor: {
    period: [20, 300],
    jitter: [0.005, 0.03],
    ampVar: [0.03, 0.1],
    noise: [0.15, 0.4],
    wander: [0.1, 0.6],
    wave: (u, f) => 0.5 * f[1] * Math.sin(2 * Math.PI * u) + 0.25 * f[2] * Math.sin(4 * Math.PI * u + f[3]),
    rest: 0,
  },
  epg: {
    period: [30, 200],
    jitter: [0.03, 0.08],
    ampVar: [0.03, 0.08],
    noise: [0.01, 0.04],
    wander: [0.05, 0.3],
    wave: (u, f) => f[1] * (u < 0.8 ? u / 0.8 : (1 - u) / 0.2) + 0.1 * f[2] * Math.sin(2 * Math.PI * 6 * u),
    rest: 0,
  },
};

interface Cycle {
  start: number;
  len: number;
  f: Float64Array;
  mod: Type | null;
  /** For `shape`: the feature changed and the factor. */
  feat: number;
}

const windows: Record<string, [string, string][]> = {};
const kindsOut: Record<
  string,
  { kind: string; onset: string; until: string; start: string; end: string; period: number }[]
> = {};
const fmt = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

for (const family of FAMILIES) {
  const sp = SPECS[family];
  for (const type of TYPES) {
    for (let c = 0; c < perCell; c++) {
      const p = Math.round(logUni(sp.period[0], sp.period[1]));
      const n = Math.max(6000, Math.min(40_000, Math.round(p * uni(25, 60))));
      const jitter = uni(...sp.jitter);
      const ampVar = uni(...sp.ampVar);
      const noise = uni(...sp.noise);
      const wanderAmp = uni(...sp.wander);
      const wanderPer = p * uni(6, 40);
      const scale = Math.exp(uni(-2, 4));
      const level = uni(-3, 3) * scale;
      const cycles: Cycle[] = [];
      let pos = 0;
      // slow cycle-length modulation (heart rate, breathing rate) plus per-cycle jitter
      const ratePer = uni(20, 80);
      while (pos < n + 4 * p) {
        const rate = 1 + 0.5 * jitter * Math.sin((2 * Math.PI * cycles.length) / ratePer);
        const len = Math.max(8, Math.round(p * rate * (1 + jitter * gauss())));
        const f = Float64Array.from({ length: 4 }, () => 1 + ampVar * gauss());
        cycles.push({ start: pos, len, f, mod: null, feat: -1 });
        pos += len;
      }
      let b = cycles.findIndex((x) => x.start >= n * uni(0.45, 0.88));
      if (b < 0 || b > cycles.length - 6) b = cycles.length - 6;
      const span = type === 'amplitude' ? 2 + Math.floor(rng.float() * 3) : 1;
      for (let j = b; j < b + span; j++) cycles[j].mod = type;
      if (type === 'premature') {
        const early = uni(0.55, 0.75);
        cycles[b - 1].len = Math.round(cycles[b - 1].len * early);
        cycles[b].len = Math.round(cycles[b].len * (family === 'ecg' ? 1.3 : 1));
      }
      if (type === 'slow') cycles[b].len = Math.round(cycles[b].len * uni(1.5, 2));
      if (type === 'shape') {
        cycles[b].feat = family === 'valve' ? 0 : Math.floor(rng.float() * 4);
        const fac = rng.float() < 0.5 ? uni(0.3, 0.6) : uni(1.4, 1.7);
        cycles[b].f[cycles[b].feat] *= family === 'valve' ? uni(0.12, 0.25) : fac;
      }
      if (type === 'amplitude') {
        const fac = rng.float() < 0.5 ? uni(0.55, 0.7) : uni(1.35, 1.5);
        for (let j = b; j < b + span; j++) for (let q = 1; q < 4; q++) cycles[j].f[q] *= fac;
      }
      pos = 0;
      for (const x of cycles) {
        x.start = pos;
        pos += x.len;
      }
      // the premature cycle is the one after the shortened one (its start is early)
      const spikeAt = cycles[b].start + Math.floor(uni(0.1, 0.9) * cycles[b].len);
      const spikeW = 1 + Math.floor(rng.float() * 3);
      const spikeH = uni(0.15, 0.4) * (rng.float() < 0.5 ? -1 : 1);
      const noiseFrom = cycles[b].start + Math.floor(uni(0, 0.5) * cycles[b].len);
      const noiseLen = Math.max(10, Math.round(uni(0.5, 1) * cycles[b].len));
      const v = new Float64Array(n);
      let ci = 0;
      let walk = 0;
      for (let i = 0; i < n; i++) {
        while (cycles[ci].start + cycles[ci].len <= i) ci++;
        const x = cycles[ci];
        const u = (i - x.start) / x.len;
        let y = sp.wave(u, x.f, family === 'ecg' && x.mod === 'premature');
        if (x.mod === 'missing') y = sp.rest;
        let e = noise * gauss();
        if (type === 'noise' && i >= noiseFrom && i < noiseFrom + noiseLen) e *= uni(4, 8);
        if (type === 'spike' && i >= spikeAt && i < spikeAt + spikeW) y += spikeH;
        walk += (noise / 20) * gauss() - walk / (10 * p);
        const wander = wanderAmp * Math.sin((2 * Math.PI * i) / wanderPer) + walk;
        v[i] = level + scale * (y + wander + e);
      }
      let onset = cycles[b].start;
      let until = cycles[b + span - 1].start + cycles[b + span - 1].len - 1;
      if (type === 'spike') {
        onset = spikeAt;
        until = spikeAt + spikeW - 1;
      }
      if (type === 'noise') {
        onset = noiseFrom;
        until = Math.min(n - 1, noiseFrom + noiseLen - 1);
      }
      if (type === 'premature') onset = cycles[b - 1].start + Math.floor(0.5 * cycles[b - 1].len);
      until = Math.min(n - 1, until);
      const name = `${family}/${type}_${String(c).padStart(2, '0')}.csv`;
      const path = join(out, 'data', name);
      mkdirSync(dirname(path), { recursive: true });
      const lines = ['timestamp,value'];
      for (let i = 0; i < n; i++) lines.push(`${fmt(T0 + i * STEP)},${v[i].toPrecision(7)}`);
      writeFileSync(path, `${lines.join('\n')}\n`);
      const on = fmt(T0 + onset * STEP);
      const un = fmt(T0 + until * STEP);
      windows[name] = [[on, un]];
      kindsOut[name] = [{ kind: `${family}:${type}`, onset: on, until: un, start: on, end: un, period: p }];
    }
  }
}
mkdirSync(join(out, 'labels'), { recursive: true });
writeFileSync(join(out, 'labels', 'combined_windows.json'), JSON.stringify(windows, null, 2));
writeFileSync(join(out, 'labels', 'combined_windows_kinds.json'), JSON.stringify(kindsOut, null, 2));
console.log(`wrote ${Object.keys(windows).length} series to ${out}`);

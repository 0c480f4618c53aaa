/**
 * A seeded corpus of quasi-periodic single-anomaly series, in NAB's layout, for locate mode
 * (docs/evaluation.md): the kind of series the discord literature measures on (heartbeats, gait,
 * respiration, machine cycles: a waveform repeated at a period of 40–400 points with beat-to-beat jitter,
 * baseline wander and noise) with one anomaly that mostly stays inside the normal range of values: a
 * distorted beat, a missing beat, a premature beat, a few faster beats, a noise burst, an inverted beat, a
 * smoothed beat, a few smaller beats. It complements `tsad synth` (calendar seasonality, NAB-like kinds).
 * Generated data is never committed: write it to a scratch folder.
 *
 *   npx tsx bench/beats-corpus.ts <outDir> <seed> [perKind=4] [length]
 *
 * `length` fixes every series' length (default 6,000 to 12,000 points, drawn per series), e.g. 200000 for
 * long series (end-to-end time of locate mode).
 *
 * Then `tsad bench --corpus <outDir> --locate -d discord`. Seeds 1–3 and 101–303 are
 * tuning data (already used); 401–403 are held out and not yet used.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gaussOne, Rng } from '../src/math/rng.js';

const KINDS = [
  'distorted',
  'missingBeat',
  'premature',
  'faster',
  'noiseBurst',
  'inverted',
  'smoothed',
  'smaller',
] as const;
type Kind = (typeof KINDS)[number];

const [out, seedArg, perKindArg = '4', lengthArg] = process.argv.slice(2);
if (!out || seedArg === undefined) {
  throw new Error('usage: beats-corpus.ts <outDir> <seed> [perKind] [length]');
}
const fixedLength = lengthArg === undefined ? null : Number(lengthArg);
const rng = new Rng(Number(seedArg));
const perKind = Number(perKindArg);
const T0 = Date.UTC(2024, 0, 1);
const STEP = 1000;

const gauss = (): number => gaussOne(rng);
const uni = (a: number, b: number) => a + (b - a) * rng.float();

/** One waveform family: value at phase u ∈ [0, 1) of a beat, given per-beat feature scales. */
type Wave = (u: number, f: Float64Array) => number;
const bump = (u: number, c: number, w: number) => Math.exp(-0.5 * ((u - c) / w) ** 2);
const WAVES: Wave[] = [
  // ECG-like: P, Q, R, S, T
  (u, f) =>
    0.15 * f[0] * bump(u, 0.2, 0.03) -
    0.1 * bump(u, 0.37, 0.01) +
    f[1] * bump(u, 0.4, 0.012) -
    0.2 * bump(u, 0.43, 0.012) +
    0.3 * f[2] * bump(u, 0.65, 0.06),
  // two harmonics (gait, machine cycle)
  (u, f) => Math.sin(2 * Math.PI * u) * f[1] + 0.5 * f[2] * Math.sin(4 * Math.PI * u + 1),
  // respiration-like: fast rise, slow fall
  (u, f) =>
    f[1] * (u < 0.3 ? Math.sin((Math.PI / 2) * (u / 0.3)) : Math.cos((Math.PI / 2) * ((u - 0.3) / 0.7))) ** 2,
  // pulse train (valve, pump): a plateau with smooth edges and a small overshoot
  (u, f) =>
    f[1] / (1 + Math.exp(-60 * (u - 0.2))) / (1 + Math.exp(60 * (u - 0.6))) +
    0.2 * f[2] * bump(u, 0.62, 0.03),
];

const windows: Record<string, [string, string][]> = {};
const kindsOut: Record<string, { kind: Kind; onset: string; until: string; start: string; end: string }[]> =
  {};
const fmt = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

for (const kind of KINDS) {
  for (let k = 0; k < perKind; k++) {
    const drawn = Math.round(uni(6000, 12000)); // drawn either way: a fixed length keeps the other draws
    const n = fixedLength ?? drawn;
    const p = Math.round(Math.exp(uni(Math.log(40), Math.log(400))));
    const wave = WAVES[Math.floor(rng.float() * WAVES.length)];
    const jitter = uni(0.005, 0.04);
    const noise = uni(0.005, 0.06);
    const wanderAmp = uni(0, 0.3);
    const wanderPer = p * uni(8, 30);
    const ampMod = uni(0, 0.08);
    const level = uni(-5, 5);
    const scale = Math.exp(uni(-2, 3));
    // beats: lengths with jitter; the anomalous beat sits in the last 60 % of the series
    const beats: { start: number; len: number; f: Float64Array; mod: Kind | null }[] = [];
    let pos = 0;
    while (pos < n + 2 * p) {
      const len = Math.max(8, Math.round(p * (1 + jitter * gauss())));
      const f = Float64Array.from({ length: 3 }, () => 1 + ampMod * gauss());
      beats.push({ start: pos, len, f, mod: null });
      pos += len;
    }
    let b = beats.findIndex((x) => x.start >= n * uni(0.45, 0.85));
    if (b < 0) b = beats.length - 4;
    const span = kind === 'faster' || kind === 'smaller' ? 3 + Math.floor(rng.float() * 3) : 1;
    for (let j = b; j < b + span; j++) beats[j].mod = kind;
    if (kind === 'premature') {
      beats[b].len = Math.round(beats[b].len * 0.6);
      beats[b + 1].len = Math.round(beats[b + 1].len * 1.35);
    }
    if (kind === 'faster') for (let j = b; j < b + span; j++) beats[j].len = Math.round(beats[j].len * 0.7);
    if (kind === 'distorted') {
      const which = Math.floor(rng.float() * 3);
      beats[b].f[which] *= rng.float() < 0.5 ? 0.3 : 1.6;
    }
    if (kind === 'smaller')
      for (let j = b; j < b + span; j++) for (let q = 0; q < 3; q++) beats[j].f[q] *= 0.6;
    // re-lay the starts after length changes
    pos = 0;
    for (const x of beats) {
      x.start = pos;
      pos += x.len;
    }
    const v = new Float64Array(n);
    let bi = 0;
    let prevClean = 0;
    for (let i = 0; i < n; i++) {
      while (beats[bi].start + beats[bi].len <= i) bi++;
      const x = beats[bi];
      const u = (i - x.start) / x.len;
      let y = wave(u, x.f);
      let e = noise * gauss();
      if (x.mod === 'missingBeat') y = wave(0, x.f);
      if (x.mod === 'inverted') y = -y;
      if (x.mod === 'noiseBurst') e *= 6;
      if (x.mod === 'smoothed') {
        y = 0.8 * prevClean + 0.2 * y;
      }
      prevClean = y;
      const wander = wanderAmp * Math.sin((2 * Math.PI * i) / wanderPer);
      v[i] = level + scale * (y + wander + e);
    }
    const onset = beats[b].start;
    const until = Math.min(
      n - 1,
      beats[b + span - 1].start + beats[b + span - 1].len - 1 + (kind === 'premature' ? beats[b + 1].len : 0),
    );
    const name = `${kind}/${kind}_${String(k).padStart(2, '0')}.csv`;
    const path = join(out, 'data', name);
    mkdirSync(dirname(path), { recursive: true });
    const lines = ['timestamp,value'];
    for (let i = 0; i < n; i++) lines.push(`${fmt(T0 + i * STEP)},${v[i].toFixed(6)}`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    const on = fmt(T0 + onset * STEP);
    const un = fmt(T0 + until * STEP);
    windows[name] = [[on, un]];
    kindsOut[name] = [{ kind, onset: on, until: un, start: on, end: un }];
  }
}
mkdirSync(join(out, 'labels'), { recursive: true });
writeFileSync(join(out, 'labels', 'combined_windows.json'), JSON.stringify(windows, null, 2));
writeFileSync(join(out, 'labels', 'combined_windows_kinds.json'), JSON.stringify(kindsOut, null, 2));
console.log(`wrote ${Object.keys(windows).length} series to ${out}`);

/**
 * `tsad synth`: seeded, labelled synthetic corpora in NAB's layout (docs/evaluation.md).
 *
 * Each anomalous file holds exactly one anomaly of one kind (so the same corpus serves the locate mode);
 * anomaly-free files hold none. Every file has its own step (1–60 min unless `steps` says), level, daily and weekly seasonality,
 * noise level and AR(1) noise; some files have missing-data gaps (rows absent, not anomalies).
 */
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';
import { fsyncDirSync, writeFileAtomicSync } from '../fs-atomic.js';
import { makeDirsSync } from '../fs-dirs.js';
import { gaussOne as gauss, Rng } from '../math/rng.js';

/** The anomaly kinds the generator plants (one per anomalous file). */
export const SYNTH_KINDS = [
  'spike',
  'dip',
  'levelShiftUp',
  'levelShiftDown',
  'drift',
  'varianceBurst',
  'flatline',
  'frequencyChange',
] as const;
export type SynthKind = (typeof SYNTH_KINDS)[number];

/** Steps a file can have, in minutes (the default of `SynthOptions.steps`). */
export const SYNTH_STEPS_MIN = [1, 5, 10, 15, 30, 60] as const;

/** Latest time a file may reach: NAB's timestamps have four-digit years. */
const SYNTH_LAST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * Most points a file may have (`SynthOptions.length`, `tsad synth --length`): 33 times the default, over
 * four times NAB's longest file; a default corpus of 52 files that long is about 150 MB.
 */
export const SYNTH_MAX_LENGTH = 100_000;

/** Noise levels: noise standard deviation as a fraction of the daily amplitude. */
export const SYNTH_NOISE = [0.05, 0.1, 0.2, 0.35] as const;

export interface SynthOptions {
  /** Seed of the whole corpus (an integer). */
  readonly seed: number;
  /** Anomalous files per kind. Default 5. */
  readonly perKind?: number;
  /** Anomaly-free files. Default 8. */
  readonly clean?: number;
  /** Points per file (before gaps): 200 to `SYNTH_MAX_LENGTH`. Default 3000. */
  readonly length?: number;
  /** Kinds to plant (default: all). */
  readonly kinds?: readonly SynthKind[];
  /**
   * Factor on every file's noise (default 1: the corpora as they always were, byte for byte; e.g. 0.02
   * for near-noiseless cycles). Every random draw is the same, so a file differs only by its noise and
   * the anomaly sizes measured against it. In [0, 1].
   */
  readonly noiseScale?: number;
  /**
   * `false`: every file as with `true` (the same draws, times, windows and labels) but with its anomaly
   * left out, the series the file would be without it, for diagnoses that ask how much a planted anomaly
   * changes the series (round 19a of docs/evaluation.md). Default `true`.
   */
  readonly planted?: boolean;
  /**
   * Steps to draw each file's step from, in minutes (default `SYNTH_STEPS_MIN`: the corpora as they
   * always were, byte for byte; the pick is the same one draw from the given list). Each positive and a
   * whole number of seconds (timestamps are written to the second, e.g. 0.25 = 15 s); the last point of
   * a file must fall before the year 10000. A weekly pattern is drawn only for steps of 10 minutes or
   * more. The process behind every file is the same continuous one, sampled at its step, so at steps of
   * half a day or more the daily cycle is aliased (docs/evaluation.md, "Step round 20"): at whole days it
   * is a constant (the cycle's value at the file's phase, part of the level), at other long steps a
   * false slower cycle; the weekly pattern (weekday vs weekend) still shows at daily steps. A frequency
   * change there shows only as its alias (e.g. a constant that starts to oscillate); its span is still
   * extended until it moves the series by Protocol note 6's criterion.
   */
  readonly steps?: readonly number[];
}

/** One planted anomaly: its kind, where it starts and ends (epoch ms), and its NAB window. */
export interface SynthWindow {
  readonly kind: SynthKind;
  /** First anomalous point. */
  readonly onset: number;
  /** Last anomalous point (persistent changes: the end of the NAB window). */
  readonly until: number;
  /** NAB label window, inclusive. */
  readonly start: number;
  readonly end: number;
}

export interface SynthFile {
  /** Path under `data/`, e.g. `spike/spike_03.csv`. */
  readonly name: string;
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly stepMin: number;
  readonly noise: number;
  readonly gaps: number;
  /** Standard deviation of the AR(1) noise (the generator's own value, for diagnoses). */
  readonly sigma: number;
  /** Daily amplitude (0 when the file has no daily cycle). */
  readonly amplitude: number;
  /**
   * Size of the planted anomaly (0 for anomaly-free files): in value units the shift of a level shift or
   * drift and the height of a spike or dip (1.5 × the shift size); for a variance burst the factor on the
   * noise. A flat line or a frequency change has no size: the shift size drawn for the file, unused.
   */
  readonly anomalySize: number;
  readonly windows: SynthWindow[];
}

export interface SynthCorpus {
  readonly seed: number;
  readonly files: SynthFile[];
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const T0 = Date.UTC(2024, 0, 1);

function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[r.int(0, xs.length - 1)];
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) {
    throw new ConfigError('bad_synth_option', `synth: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
}

/**
 * What a frequency change must do to its series to count as planted (docs/evaluation.md, Protocol note 6):
 * over its span (onset..until) the changed series departs from the unchanged one by at least
 * `FREQ_VISIBLE_MAX` noise sd at some point and by `FREQ_VISIBLE_RMS` noise sd RMS.
 */
const FREQ_VISIBLE_MAX = 4;
const FREQ_VISIBLE_RMS = 2;

/**
 * At most this many points of the series, per point of the file, are examined by the search of
 * `freqChangeSpan`. Every corpus of the tuning seeds at the options used so far needs at most 835 (15-s
 * steps at 12,000 points); only files where no run from any onset shows need more (about 0.14 × the
 * file's length: a one-day step whose change aliases to almost nothing), and those keep their drawn onset
 * either way. Without it the search took time quadratic in the length (0.7 CPU-s at 20,000 points).
 */
const FREQ_SEARCH_PER_POINT = 1000;

/**
 * Onset and length (points) of a frequency change: the drawn ones when the change, run that long, moves
 * the series by the visibility criterion (`FREQ_VISIBLE_MAX`, `FREQ_VISIBLE_RMS`, with 1 % to spare for
 * the rounding of written values), else the shortest longer run that does. At short steps the drawn 2–5 %
 * of the file is an hour or two, a tenth of the daily cycle, and a slowed cycle loses little phase in that.
 * When no run from the drawn onset fits in the file, the onset moves earlier (not before 45 % of the file,
 * the earliest drawn onset) to the latest one from which a run fits; a file too short for any (hundreds of
 * points at 1-minute steps) keeps its onset and runs the change to its end, and so does a file where
 * none is found within `FREQ_SEARCH_PER_POINT` × n points examined (`examined`: how many were). The
 * difference between the changed and the unchanged daily cycle is deterministic (the noise is the same in
 * both), so it is computed here without a draw.
 * @internal
 */
export function freqChangeSpan(
  n: number,
  onset: number,
  dur: number,
  step: number,
  factor: number,
  daily: number,
  harmonic: number,
  phase: number,
  sigma: number,
): { onset: number; dur: number; examined: number } {
  const w = (2 * Math.PI * step) / DAY;
  const needMax = FREQ_VISIBLE_MAX * 1.01 * sigma;
  const needSq = (FREQ_VISIBLE_RMS * 1.01 * sigma) ** 2;
  const limit = FREQ_SEARCH_PER_POINT * n; // points the search may examine
  let examined = 0; // points it did (a count of its own, not derived from the limit)
  // the shortest run ≥ dur from onset o that fits and shows, 0 if none does, -1 when out of points
  const shortest = (o: number): number => {
    let max = 0;
    let ss = 0;
    for (let k = 0; o + k < n; k++) {
      if (examined === limit) return -1;
      examined++;
      const cu = phase + (o + k + 1) * w; // the unchanged cycle's phase at point o + k
      const cp = cu + (factor - 1) * w * (k + 1);
      const d =
        daily * (Math.sin(cp) - Math.sin(cu) + harmonic * (Math.sin(2 * cp + 1) - Math.sin(2 * cu + 1)));
      max = Math.max(max, Math.abs(d));
      ss += d * d;
      if (k + 1 >= dur && max >= needMax && ss >= needSq * (k + 1)) return k + 1;
    }
    return 0;
  };
  for (let o = onset; o >= Math.floor(n * 0.45); o--) {
    const len = shortest(o);
    if (len < 0) break;
    if (len > 0) return { onset: o, dur: len, examined };
  }
  return { onset, dur: Math.max(1, n - onset), examined };
}

/** Generates one file; `kind` undefined = anomaly-free. */
function makeFile(
  r: Rng,
  name: string,
  n: number,
  kind: SynthKind | undefined,
  noiseScale: number,
  planted: boolean,
  steps: readonly number[],
): SynthFile {
  const stepMin = pick(r, steps);
  const step = Math.round(stepMin * 60) * 1000; // a whole number of seconds (checked by synthCorpus)
  const noiseFrac = pick(r, SYNTH_NOISE);
  const level = 20 + 80 * r.float();
  const amp = level * (0.05 + 0.25 * r.float());
  // short steps see the daily cycle; long steps also the weekly one. A frequency change speeds up or
  // slows down the daily cycle, so its file always has one (the draw is still made, so every other
  // file of a seed is what it was before this rule; until then 15 % of frequency-change windows
  // changed nothing in the data)
  const daily = r.float() < 0.85 || kind === 'frequencyChange' ? amp : 0;
  const weekly = stepMin >= 10 && r.float() < 0.6 ? amp * (0.2 + 0.4 * r.float()) : 0;
  const phase = 2 * Math.PI * r.float();
  const harmonic = 0.3 * r.float();
  const sigma = Math.max(amp, level * 0.02) * noiseFrac * noiseScale;
  const phi = 0.3 + 0.6 * r.float(); // AR(1) coefficient of the noise
  const innov = sigma * Math.sqrt(1 - phi * phi);
  // the "typical deviation" anomalies are sized against: noise plus a bit of the cycle
  const scale = Math.max(sigma, 0.15 * amp);

  const v = new Float64Array(n);
  const t = new Float64Array(n);
  // planted anomaly: onset in [45 %, 85 %] of the file (the locate mode trains on the first 15–40 %)
  let onset = kind ? Math.floor(n * (0.45 + 0.4 * r.float())) : n;
  let dur = Math.max(12, Math.floor(n * (0.02 + 0.03 * r.float())));
  const sign =
    kind === 'dip' || kind === 'levelShiftDown' ? -1 : kind === 'drift' && r.float() < 0.5 ? -1 : 1;
  const magnitude = (4 + 3 * r.float()) * scale;
  const freqFactor = r.float() < 0.5 ? 2 + r.float() : 0.35 + 0.15 * r.float();
  const spikeLen = 1 + r.int(0, 2);
  const burst = 4 + 3 * r.float();
  if (kind === 'frequencyChange') {
    // long enough to show (Protocol note 6); no draw, so every other file is what it was
    const sigma1 = Math.max(amp, level * 0.02) * noiseFrac; // the noise sd at noiseScale 1
    ({ onset, dur } = freqChangeSpan(n, onset, dur, step, freqFactor, daily, harmonic, phase, sigma1));
  }
  let ar = 0;
  let cyc = phase; // phase of the daily cycle, accumulated so a frequency change stays continuous
  let held = 0;
  let until = onset;
  for (let i = 0; i < n; i++) {
    const ti = T0 + i * step;
    t[i] = ti;
    const inAnom = planted && kind !== undefined && i >= onset && i < onset + dur;
    const freq = kind === 'frequencyChange' && inAnom ? freqFactor : 1;
    cyc += (2 * Math.PI * step * freq) / DAY;
    let e = gauss(r) * innov;
    if (kind === 'varianceBurst' && inAnom) e *= burst;
    ar = phi * ar + e;
    const dow = ((ti - T0) % WEEK) / DAY; // 0..7, days 5 and 6 are the weekend
    let x =
      level +
      daily * (Math.sin(cyc) + harmonic * Math.sin(2 * cyc + 1)) +
      (dow >= 5 ? -weekly : weekly * 0.4) +
      ar;
    if (planted && kind !== undefined && i >= onset) {
      switch (kind) {
        case 'spike':
        case 'dip':
          if (i < onset + spikeLen) x += sign * magnitude * 1.5;
          break;
        case 'levelShiftUp':
        case 'levelShiftDown':
          x += sign * magnitude;
          break;
        case 'drift': {
          // a bounded episode: a trend that reaches the shift size over `dur` points, holds it for
          // `dur / 2` points, then returns to the baseline over `dur / 2` points
          const k = i - onset + 1;
          const hold = Math.floor(dur / 2);
          if (k <= dur) x += (sign * magnitude * k) / dur;
          else if (k <= dur + hold) x += sign * magnitude;
          else if (k <= dur + 2 * hold) x += (sign * magnitude * (dur + 2 * hold - k)) / hold;
          break;
        }
        case 'flatline':
          if (i === onset) held = x;
          if (inAnom) x = held;
          break;
        default:
          break;
      }
    }
    v[i] = x;
  }
  if (kind === 'spike' || kind === 'dip') until = onset + spikeLen - 1;
  else if (kind === 'drift') until = Math.min(n - 1, onset + 2 * dur - 1);
  else until = onset + dur - 1;
  // NAB-style window: 10 % of the file, starting a little before the onset
  const w = Math.floor(n * 0.1);
  const ws = Math.max(0, onset - Math.floor(w * 0.15));
  const we = Math.min(n - 1, Math.max(ws + w - 1, until));
  // missing-data gaps: one file in three loses one to three stretches of rows (never inside the window)
  const keep = new Uint8Array(n).fill(1);
  let gaps = 0;
  if (r.float() < 0.34) {
    const count = 1 + r.int(0, 2);
    for (let g = 0; g < count; g++) {
      const len = 3 + r.int(0, Math.max(3, Math.floor(n * 0.01)));
      const at = r.int(Math.floor(n * 0.2), n - len - 1);
      if (kind !== undefined && at + len >= ws && at <= we) continue;
      for (let i = at; i < at + len; i++) keep[i] = 0;
      gaps++;
    }
  }
  let m = 0;
  for (let i = 0; i < n; i++) if (keep[i]) m++;
  const tt = new Float64Array(m);
  const vv = new Float64Array(m);
  for (let i = 0, j = 0; i < n; i++) {
    if (!keep[i]) continue;
    tt[j] = t[i];
    vv[j] = Math.round(v[i] * 1e6) / 1e6;
    j++;
  }
  const windows: SynthWindow[] = kind
    ? [{ kind, onset: t[onset], until: t[until], start: t[ws], end: t[we] }]
    : [];
  const anomalySize =
    kind === undefined
      ? 0
      : kind === 'spike' || kind === 'dip'
        ? magnitude * 1.5
        : kind === 'varianceBurst'
          ? burst
          : magnitude;
  return {
    name,
    t: tt,
    v: vv,
    stepMin,
    noise: noiseFrac,
    gaps,
    sigma,
    amplitude: daily,
    anomalySize,
    windows,
  };
}

/** The error for a step that is not a positive whole number of seconds; `shown` is the step as given. */
function badStep(shown: string): ConfigError {
  return new ConfigError(
    'bad_synth_option',
    `synth: every step (--steps) must be a positive number of minutes that is a whole number of seconds (e.g. 0.25 = 15 s, 1440 = a day), got ${shown}`,
  );
}

/**
 * `tsad synth --steps`: the texts of the list as minutes. A text that is not a number is refused here,
 * named as typed (`got "x"`, not the NaN it reads as); the numbers are checked by `synthCorpus`.
 * @internal
 */
export function parseSynthSteps(texts: readonly string[]): number[] {
  return texts.map((x) => {
    const n = x.trim() === '' ? Number.NaN : Number(x);
    if (!Number.isFinite(n)) throw badStep(JSON.stringify(x));
    return n;
  });
}

/** Refuses a step list the generator cannot write (`SynthOptions.steps`). */
function checkSteps(steps: readonly number[], length: number): void {
  if (steps.length === 0) {
    throw new ConfigError(
      'bad_synth_option',
      'synth: steps (--steps) is empty; give at least one step in minutes, e.g. --steps 2,20,120',
    );
  }
  for (const s of steps) {
    const sec = s * 60;
    if (!(Number.isFinite(s) && s > 0 && Math.abs(sec - Math.round(sec)) <= 1e-9 * Math.max(1, sec))) {
      throw badStep(String(s));
    }
    if (T0 + (length - 1) * Math.round(sec) * 1000 > SYNTH_LAST_TIME) {
      throw new ConfigError(
        'bad_synth_option',
        `synth: a step of ${s} minutes over ${length} points ends after the year 9999 (timestamps have four-digit years); give a shorter step or --length`,
      );
    }
  }
}

/** Generates a corpus in memory (deterministic for a seed and options). */
export function synthCorpus(opts: SynthOptions): SynthCorpus {
  checkInt('seed', opts.seed, 0);
  const perKind = opts.perKind ?? 5;
  const clean = opts.clean ?? 8;
  const length = opts.length ?? 3000;
  checkInt('perKind', perKind, 0);
  checkInt('clean', clean, 0);
  checkInt('length', length, 200);
  if (length > SYNTH_MAX_LENGTH) {
    throw new ConfigError(
      'bad_synth_option',
      `synth: length (--length) must be an integer from 200 to ${SYNTH_MAX_LENGTH}, got ${length}; give at most ${SYNTH_MAX_LENGTH} points per file`,
    );
  }
  const kinds = opts.kinds ?? SYNTH_KINDS;
  const noiseScale = opts.noiseScale ?? 1;
  const planted = opts.planted ?? true;
  const steps = opts.steps ?? SYNTH_STEPS_MIN;
  checkSteps(steps, length);
  if (!(noiseScale >= 0 && noiseScale <= 1)) {
    throw new ConfigError(
      'bad_synth_option',
      `synth: noiseScale (--noise-scale) must be a number in [0, 1] (1: the usual noise, smaller: less noise), got ${noiseScale}`,
    );
  }
  for (const k of kinds) {
    if (!(SYNTH_KINDS as readonly string[]).includes(k)) {
      throw new ConfigError(
        'bad_synth_option',
        `synth: unknown kind "${k}"; choose from ${SYNTH_KINDS.join(', ')}`,
      );
    }
  }
  if (perKind * kinds.length + clean === 0) {
    throw new ConfigError(
      'bad_synth_option',
      `synth: no file to write (perKind ${perKind} × ${kinds.length} kinds + clean ${clean}); ask for at least one with --per-kind or --clean`,
    );
  }
  const r = new Rng(opts.seed);
  const files: SynthFile[] = [];
  const pad = (i: number) => String(i).padStart(2, '0');
  for (const kind of kinds) {
    for (let i = 0; i < perKind; i++)
      files.push(makeFile(r, `${kind}/${kind}_${pad(i)}.csv`, length, kind, noiseScale, planted, steps));
  }
  for (let i = 0; i < clean; i++)
    files.push(makeFile(r, `clean/clean_${pad(i)}.csv`, length, undefined, noiseScale, planted, steps));
  return { seed: opts.seed, files };
}

/** NAB's timestamp format, `YYYY-MM-DD HH:MM:SS` (UTC). */
export function nabTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Name of the per-window kinds file next to NAB's labels. */
export const KINDS_FILE = 'labels/combined_windows_kinds.json';

/** What `writeSynthCorpus` writes below its folder (and all `force` removes). */
const SYNTH_OUTPUTS = ['data', 'labels', 'corpus.json'] as const;

/**
 * Writes a corpus in NAB's layout: `data/<category>/<file>.csv` (`timestamp,value`),
 * `labels/combined_windows.json` (NAB's windows), `labels/combined_labels.json` (the onsets),
 * `labels/combined_windows_kinds.json` (`{ file: [{ kind, onset, until, start, end }] }`, NAB timestamps)
 * and `corpus.json`. A folder that is not empty is refused (`ConfigError` `output_not_empty`): files
 * of an earlier corpus left beside the new one would disagree with its labels. `force: true` first
 * removes what this function writes (`data/`, `labels/`, `corpus.json`) and leaves anything else.
 *
 * Every file is written whole (`writeFileAtomicSync`: temp file, fsync, rename) and each folder fsynced
 * once after its last file, in this order: the data files, the kinds and onsets, `combined_windows.json`,
 * then `corpus.json`. A corpus cut short (Ctrl-C, a crash, power loss, a failed write) therefore never
 * holds a partial file, a labels file that names data not yet durable, nor a `corpus.json`; a folder with
 * `combined_windows.json` has every data file and label. The fsync per file is kept: on `tsad synth` with
 * its defaults (52 files, 4.3 MB) its 64 fsyncs took 0.11–0.17 s of a run of about 0.75 s (strace -w,
 * load average 5), and without it a power loss could leave the labels durable beside empty data files.
 */
export function writeSynthCorpus(dir: string, corpus: SynthCorpus, opts: { force?: boolean } = {}): void {
  let present: string[] = [];
  try {
    present = readdirSync(dir);
  } catch (err) {
    // a folder that does not exist yet is made below; anything else (a file there) fails there too
    if ((err as { code?: unknown }).code !== 'ENOENT' && (err as { code?: unknown }).code !== 'ENOTDIR') {
      throw err;
    }
  }
  if (present.length > 0) {
    if (!opts.force) {
      const shown = present.slice(0, 5).join(', ') + (present.length > 5 ? ', …' : '');
      throw new ConfigError(
        'output_not_empty',
        `${dir} is not empty (${shown}): files of an earlier corpus would stay beside the new one and disagree with its labels; give a new or empty folder, or pass force: true (tsad synth --force) to remove its data/, labels/ and corpus.json first`,
      );
    }
    for (const name of SYNTH_OUTPUTS) rmSync(join(dir, name), { recursive: true, force: true });
  }
  const windows: Record<string, [string, string][]> = {};
  const labels: Record<string, string[]> = {};
  const kinds: Record<string, Record<string, string>[]> = {};
  for (const f of corpus.files) {
    const path = join(dir, 'data', f.name);
    makeDirsSync(dirname(path));
    const lines = ['timestamp,value'];
    for (let i = 0; i < f.t.length; i++) lines.push(`${nabTime(f.t[i])},${f.v[i]}`);
    writeFileAtomicSync(path, `${lines.join('\n')}\n`);
    windows[f.name] = f.windows.map((w) => [nabTime(w.start), nabTime(w.end)]);
    labels[f.name] = f.windows.map((w) => nabTime(w.onset));
    kinds[f.name] = f.windows.map((w) => ({
      kind: w.kind,
      onset: nabTime(w.onset),
      until: nabTime(w.until),
      start: nabTime(w.start),
      end: nabTime(w.end),
    }));
  }
  // each data folder's renames made durable once, after its last file (a folder fsync covers them all)
  for (const folder of new Set(corpus.files.map((f) => dirname(join(dir, 'data', f.name)))))
    fsyncDirSync(folder);
  fsyncDirSync(join(dir, 'data'));
  makeDirsSync(join(dir, 'labels'));
  // combined_windows.json, the file a reader (tsad bench) cannot do without, last of the labels
  writeFileAtomicSync(join(dir, KINDS_FILE), `${JSON.stringify(kinds, null, 2)}\n`);
  writeFileAtomicSync(join(dir, 'labels', 'combined_labels.json'), `${JSON.stringify(labels, null, 2)}\n`);
  writeFileAtomicSync(
    join(dir, 'labels', 'combined_windows.json'),
    `${JSON.stringify(windows, null, 2)}\n`,
    true,
  );
  const meta = corpus.files.map((f) => ({
    file: f.name,
    rows: f.t.length,
    stepMin: f.stepMin,
    noise: f.noise,
    gaps: f.gaps,
    kind: f.windows[0]?.kind ?? null,
  }));
  // last, and durably (its folder fsynced): a corpus without corpus.json was cut short
  writeFileAtomicSync(
    join(dir, 'corpus.json'),
    `${JSON.stringify({ generator: 'tsad synth', seed: corpus.seed, files: meta }, null, 2)}\n`,
    true,
  );
}

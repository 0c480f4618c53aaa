/**
 * Failure analysis and cached sweeps of `DiscordDetector` in locate mode (docs/evaluation.md, "Locate
 * round 2"). Each setting's test-part scores are streamed once per series and cached (Float64 files in
 * a scratch folder), so combinations of settings (`a|b`: the pointwise maximum of their scores, each
 * already on its own training scale) are replayed without streaming again. Same protocol as
 * `runLocate`: train on min(30 % of the series, the label window's start), argmax of the test part,
 * within 100 points of the anomaly's own extent.
 *
 *   npx tsx bench/discord-diag.ts <cacheDir> '<json: {name: config}>' '<combos, comma-separated>' [--per-file] <corpusDir> …
 *
 * e.g. `'{"base":{},"diff":{"diffView":true}}' 'base,diff,base|diff'`. Selection by prominence
 * (docs/evaluation.md, "Locate round 3"): `a?b?c` takes the argmax of the one member whose top stands out
 * most, prominence = its highest score / its highest score outside ± `EXCL_MUL` periods (at least
 * `EXCL_MIN` points) of that top (`PROM_KIND=q99`: / its own 0.99 quantile instead); the first member
 * keeps its place unless another's prominence is `PROM_BIAS` times larger. `a*b` is the mean of the
 * members each divided by its highest score outside its top's zone; `a@b` selects by prominence over
 * that member's median prominence across the corpus' series; `a%b` is a vote (each member proposes its
 * argmax; the proposal most members agree with within the zone wins); `a!b` an oracle (located when any
 * member's own argmax is), for diagnosis only; `a/p16e0.5` a contrast score (locate round 7: a member's
 * score over its centred mean over 16 periods, to the power 0.5; `h1` leaves a one-period hole around
 * the point). With `--per-file`, one line per
 * missed series: kind, true period (UCR-like corpora record it), the period the detector found, its
 * block size, where the argmax fell relative to the anomaly, the anomaly's length over the period, how
 * high the anomaly's own best score was against the argmax, and the anomaly's rank among the distinct
 * tops (`topRank`), then each cached setting's score at the argmax, within the anomaly and its rank.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DiscordDetector, type DiscordInput } from '../src/detectors/discord/detector.js';
import { checkedPeriod, robustPeriod } from '../src/detectors/discord/period.js';
import { discordLocateScores, type TwoSidedOptions } from '../src/detectors/discord/two-sided.js';
import { corpusKinds } from '../src/lab/bench.js';
import { TWO_SIDED_LOCATE } from '../src/lab/locate.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { parseNabTime } from '../src/metrics/nab-files.js';
import { lowerBound } from '../src/series/ops.js';

const args = process.argv.slice(2);
const perFile = args.includes('--per-file');
const [cacheDir, cfgJson, comboArg, ...dirs] = args.filter((a) => a !== '--per-file');
if (!cacheDir || !cfgJson || !comboArg || dirs.length === 0) {
  throw new Error(
    "usage: discord-diag.ts <cacheDir> '<json {name: config}>' '<combos>' [--per-file] <dir> …",
  );
}
const configs = JSON.parse(cfgJson) as Record<string, DiscordInput>;
const combos = comboArg.split(',').map((c) => c.split('|'));
const margin = 100;

interface Series {
  kind: string;
  file: string;
  from: number;
  to: number;
  cut: number;
  n: number;
  truePeriod: number;
  estPeriod: number;
  /** The period `DiscordDetector` finds by default (`checkedPeriod`). */
  checked: number;
  scores: Map<string, Float64Array>;
  blocks: Map<string, number>;
}

async function loadCorpus(dir: string): Promise<Series[]> {
  const windows = corpusWindows(dir);
  const kinds = corpusKinds(dir);
  const kindsPath = join(dir, 'labels', 'combined_windows_kinds.json');
  const raw = existsSync(kindsPath)
    ? (JSON.parse(readFileSync(kindsPath, 'utf8')) as Record<
        string,
        { onset?: string; until?: string; period?: number }[]
      >)
    : {};
  const out: Series[] = [];
  const files = Object.keys(windows)
    .filter((f) => windows[f].length === 1)
    .sort();
  for (const file of files) {
    const { series } = await loadCorpusFile(dir, file);
    const n = series.t.length;
    const [ws, we] = windows[file][0];
    const ext = raw[file]?.[0];
    const on = ext?.onset ? parseNabTime(ext.onset) : Number.NaN;
    const un = ext?.until ? parseNabTime(ext.until) : Number.NaN;
    const a = Number.isFinite(on) ? on : ws;
    const b = Number.isFinite(un) ? un : we;
    const from = lowerBound(series.t, a);
    const to = Math.max(from, lowerBound(series.t, b + 1) - 1);
    const cut = Math.min(Math.floor(n * 0.3), lowerBound(series.t, ws));
    if (cut < 10 || cut >= n - 1) continue;
    const s: Series = {
      kind: kinds[file][0].kind,
      file,
      from,
      to,
      cut,
      n,
      truePeriod: ext?.period ?? 0,
      estPeriod: robustPeriod(series.v.subarray(0, cut)),
      checked: checkedPeriod(series.v.subarray(0, cut)),
      scores: new Map(),
      blocks: new Map(),
    };
    for (const [name, cfg] of Object.entries(configs)) {
      const key = createHash('sha1')
        .update(JSON.stringify(cfg))
        .update(dir)
        .update(file)
        .digest('hex')
        .slice(0, 16);
      const path = join(cacheDir, `${key}.f64`);
      if (existsSync(path)) {
        const buf = readFileSync(path);
        const all = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
        s.blocks.set(name, all[0]);
        s.scores.set(name, all.slice(1));
        continue;
      }
      // `_diff: true` (this bench only): the detector on the first difference of the values
      // `_windowMul: f` (this bench only): the default window (20 periods in [1,024, 8,192]) × f, with
      // the block size the default settings choose (so only the past searched changes)
      // `_paaMul: f`: the block size the default chooses × f (same window)
      // `_len: i` (this bench only): the default's i-th subsequence length alone (`"cycle"`: its
      // whole-cycle length, on blocks of twice the size), at the default's block size and window, so
      // its scores are those of one of the default's cores (the cycle core: nearly)
      // `_dz: true` (this bench only, no discord): |first difference − training median| / (1.4826 MAD)
      // `_two: true` (this bench only): the two-sided locate score of `--locate` (`TWO_SIDED_LOCATE`)
      // with this config; `_two: {…}` its options instead (locate round 5)
      // `_prof: kind` (this bench only, no discord; locate round 5): a centred rolling statistic over
      // `_profMul` × the period found (32 points without one) against its own training extreme (see
      // `simpleProfile`)
      const { _diff, _windowMul, _paaMul, _len, _dz, _two, _prof, _profMul, ...own } = cfg as DiscordInput & {
        _diff?: boolean;
        _windowMul?: number;
        _paaMul?: number;
        _len?: number | 'cycle';
        _dz?: boolean;
        _two?: boolean | TwoSidedOptions;
        _prof?: string;
        _profMul?: number;
      };
      if (_prof) {
        const x = new Float64Array(n - cut + 1);
        x[0] = 1;
        x.set(
          simpleProfile(_prof, series.v, cut, checkedPeriod(series.v.subarray(0, cut)), _profMul ?? 1),
          1,
        );
        writeFileSync(path, Buffer.from(x.buffer));
        s.blocks.set(name, 1);
        s.scores.set(name, x.slice(1));
        continue;
      }
      if (_two) {
        const opts = _two === true ? TWO_SIDED_LOCATE : _two;
        // `_two` with `_diff: true` (locate round 6): the two-sided score of the first difference
        const v2 = _diff ? series.v.map((y, i) => (i === 0 ? 0 : y - series.v[i - 1])) : series.v;
        const sc = discordLocateScores({ ...own, seed: 0 }, series.t, v2, cut, opts);
        const x = new Float64Array(n - cut + 1);
        x[0] = 1;
        x.set(sc, 1);
        writeFileSync(path, Buffer.from(x.buffer));
        s.blocks.set(name, 1);
        s.scores.set(name, sc);
        continue;
      }
      if (_dz) {
        const d = new Float64Array(n);
        for (let i = 1; i < n; i++) d[i] = series.v[i] - series.v[i - 1];
        const tr = Float64Array.from(d.subarray(1, cut)).sort();
        const med = tr[tr.length >> 1] ?? 0;
        const dev = Float64Array.from(tr, (y) => Math.abs(y - med)).sort();
        const mad = Math.max(1.4826 * (dev[dev.length >> 1] ?? 0), 1e-12);
        const x = new Float64Array(n - cut + 1);
        x[0] = 1;
        for (let i = cut; i < n; i++) x[i - cut + 1] = Math.abs(d[i] - med) / mad;
        writeFileSync(path, Buffer.from(x.buffer));
        s.blocks.set(name, 1);
        s.scores.set(name, x.slice(1));
        continue;
      }
      const extra: DiscordInput = {};
      if (_len !== undefined) {
        const probe = new DiscordDetector({ seed: 0 });
        probe.train({ t: series.t.subarray(0, cut), v: series.v.subarray(0, cut) });
        const k = probe.block;
        const p = checkedPeriod(series.v.subarray(0, cut));
        extra.window = Math.min(8192, Math.max(1024, 20 * p));
        const cyc = probe.cycleLength;
        const ls = probe.lengths;
        if (_len === 'cycle' ? cyc === null : _len >= ls.length) {
          // this series has no such length: no score (never the selected one)
          const x = new Float64Array(n - cut + 1);
          x[0] = k;
          writeFileSync(path, Buffer.from(x.buffer));
          s.blocks.set(name, k);
          s.scores.set(name, x.slice(1));
          continue;
        }
        extra.paa = _len === 'cycle' ? 2 * k : k;
        extra.m = _len === 'cycle' ? (cyc as number) * 2 * k : ls[_len] * k;
      }
      if (_paaMul) {
        const probe = new DiscordDetector({ ...own, seed: 0 });
        probe.train({ t: series.t.subarray(0, cut), v: series.v.subarray(0, cut) });
        extra.paa = Math.max(1, Math.round(_paaMul * probe.block));
      }
      if (_windowMul) {
        // the default's block size, whatever the lengths (a cost-neutral trade of lengths for past)
        const probe = new DiscordDetector({ seed: 0 });
        probe.train({ t: series.t.subarray(0, cut), v: series.v.subarray(0, cut) });
        const p = s.estPeriod;
        extra.window = Math.round(_windowMul * Math.min(8192, Math.max(1024, 20 * p)));
        extra.paa = probe.block;
      }
      const det = new DiscordDetector({ ...own, ...extra, seed: 0 });
      const v = _diff ? series.v.map((y, i) => (i === 0 ? 0 : y - series.v[i - 1])) : series.v;
      det.train({ t: series.t.subarray(0, cut), v: v.subarray(0, cut) });
      const st = det.stream();
      const x = new Float64Array(n - cut + 1);
      x[0] = det.block;
      for (let i = cut; i < n; i++) x[i - cut + 1] = Math.abs(st.push(series.t[i], v[i]).score);
      writeFileSync(path, Buffer.from(x.buffer));
      s.blocks.set(name, det.block);
      s.scores.set(name, x.slice(1));
    }
    out.push(s);
  }
  return out;
}

/**
 * A simple profile (locate round 5): a statistic over the centred window of w points around each test
 * point, divided by its most extreme value over the training part, so that 1 means "as extreme as the
 * anomaly-free training part ever was". `range`: max − min of the values; `drange`: of the first
 * difference; `sd2`: the standard deviation of the second difference; `i…` (`irange`, `isd2`): the
 * training minimum over the statistic (a window quieter than training ever was: flat or smoothed).
 */
function simpleProfile(
  kind: string,
  v: Float64Array,
  cut: number,
  period: number,
  mul: number,
): Float64Array {
  const n = v.length;
  const w = Math.max(4, Math.round(mul * (period > 0 ? period : 32)));
  const inv = kind.startsWith('i');
  const base = inv ? kind.slice(1) : kind;
  const src = new Float64Array(n);
  if (base === 'range') src.set(v);
  else if (base === 'drange') for (let i = 1; i < n; i++) src[i] = v[i] - v[i - 1];
  else if (base === 'sd2') for (let i = 2; i < n; i++) src[i] = v[i] - 2 * v[i - 1] + v[i - 2];
  else throw new Error(`unknown profile ${kind}`);
  const stat = new Float64Array(n);
  const h = w >> 1;
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - h);
    const b = Math.min(n, i - h + w);
    if (base === 'sd2') {
      let s1 = 0;
      let s2 = 0;
      for (let j = a; j < b; j++) {
        s1 += src[j];
        s2 += src[j] * src[j];
      }
      const m = s1 / (b - a);
      stat[i] = Math.sqrt(Math.max(0, s2 / (b - a) - m * m));
    } else {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let j = a; j < b; j++) {
        if (src[j] < lo) lo = src[j];
        if (src[j] > hi) hi = src[j];
      }
      stat[i] = hi - lo;
    }
  }
  // training extreme over windows wholly inside the training part
  let ext = inv ? Number.POSITIVE_INFINITY : 0;
  for (let i = h + 2; i + w - h <= cut; i++) ext = inv ? Math.min(ext, stat[i]) : Math.max(ext, stat[i]);
  const out = new Float64Array(n - cut);
  for (let i = cut; i < n; i++) {
    const y = stat[i];
    out[i - cut] = inv ? (y > 0 ? ext / y : ext > 0 ? 1e6 : 1) : ext > 0 ? y / ext : y > 0 ? 1e6 : 1;
  }
  return out;
}

/** `name~w`: the trailing mean of the combination over w raw points (`name~p0.25`: w = 0.25 × the period found). */
function smoothed(s: Series, combo: string[], w: number): Float64Array {
  const len = s.n - s.cut;
  const x = new Float64Array(len);
  // `name^`: that member's score over the highest it has given before in the test part (at least 1,
  // its training scale): a record-breaking ratio
  const rec = combo.map((c) => c.endsWith('^'));
  const names = combo.map((c) => c.replace(/\^$/, ''));
  const top = combo.map(() => 1);
  for (let i = 0; i < len; i++) {
    let v = 0;
    for (let k = 0; k < names.length; k++) {
      // `a&b`: the smaller of two settings' scores, `a+b`: their mean (a score both must share)
      const nm = names[k];
      const get = (q: string) => s.scores.get(q)?.[i] ?? 0;
      let y = nm.includes('&')
        ? Math.min(...nm.split('&').map(get))
        : nm.includes('+')
          ? nm.split('+').reduce((acc, q) => acc + get(q), 0) / nm.split('+').length
          : get(nm);
      if (rec[k]) {
        const r = y / top[k];
        if (y > top[k]) top[k] = y;
        y = r;
      }
      if (y > v) v = y;
    }
    x[i] = v;
  }
  if (w <= 1) return x;
  const out = new Float64Array(len);
  if (process.env.SMOOTH_CENTRE === '1') {
    // centred mean over w points (locate round 5; the trailing mean below moves the top by w / 2)
    const c = new Float64Array(len + 1);
    for (let i = 0; i < len; i++) c[i + 1] = c[i] + x[i];
    const h = w >> 1;
    for (let i = 0; i < len; i++) {
      const a = Math.max(0, i - h);
      const b = Math.min(len, i - h + w);
      out[i] = (c[b] - c[a]) / (b - a);
    }
    return out;
  }
  let sum = 0;
  for (let i = 0; i < len; i++) {
    sum += x[i];
    if (i >= w) sum -= x[i - w];
    out[i] = sum / w;
  }
  return out;
}

const exclMul = Number(process.env.EXCL_MUL ?? 1);
const exclMin = Number(process.env.EXCL_MIN ?? 0);
const promBias = Number(process.env.PROM_BIAS ?? 1);
const promKind = process.env.PROM_KIND ?? 'second';
/** Per corpus: each setting's median prominence over the corpus' series (for `a@b`). */
const corpusMedProm = new Map<string, number>();

/**
 * Prominence of a score series: its highest value over the highest value outside ± `zone` points of
 * that top (1 when nothing is left outside; Infinity when only the top is positive).
 */
function prominence(
  x: Float64Array,
  zone: number,
): { prom: number; top: number; at: number; second: number } {
  let at = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[at]) at = i;
  const top = x[at] ?? 0;
  let second = 0;
  let any = false;
  for (let i = 0; i < x.length; i++) {
    if (i >= at - zone && i <= at + zone) continue;
    any = true;
    if (x[i] > second) second = x[i];
  }
  let prom = !any ? 1 : second > 0 ? top / second : top > 0 ? Number.POSITIVE_INFINITY : 1;
  if (promKind === 'q99') {
    // `PROM_KIND=q99`: the top over the series' own 0.99 quantile (no exclusion zone)
    const q = Float64Array.from(x).sort()[Math.floor(0.99 * (x.length - 1))] ?? 0;
    prom = q > 0 ? top / q : top > 0 ? Number.POSITIVE_INFINITY : 1;
  }
  return { prom, top, at, second };
}

/**
 * `a?b?c`: the member whose top stands out most (largest prominence) decides: its argmax.
 * `a*b*c`: the mean of the members, each divided by its own highest score outside its top's zone.
 */
function promCombo(s: Series, names: string[], mode: '?' | '*'): Float64Array {
  const len = s.n - s.cut;
  const zone = Math.max(exclMin, Math.round(exclMul * (s.estPeriod || 0)));
  const xs = names.map((nm) => s.scores.get(nm) ?? new Float64Array(len));
  const ps = xs.map((x) => prominence(x, zone));
  if (mode === '?') {
    // the first member keeps its place unless another's prominence is `PROM_BIAS` times larger
    let k = 0;
    let bestP = ps[0].prom * promBias;
    for (let j = 1; j < ps.length; j++) {
      if (ps[j].prom > bestP) {
        k = j;
        bestP = ps[j].prom;
      }
    }
    return xs[k];
  }
  const out = new Float64Array(len);
  xs.forEach((x, j) => {
    const d = ps[j].second > 0 ? ps[j].second : ps[j].top || 1;
    for (let i = 0; i < len; i++) out[i] += x[i] / d / xs.length;
  });
  return out;
}

/**
 * A test-part score's verdict: its argmax (first of ties) as a file index, whether that lies within
 * `margin` of the labelled anomaly, the highest score there (`own`) and the top score.
 */
function verdict(s: Series, x: Float64Array): { hit: boolean; argmax: number; own: number; top: number } {
  let best = 0;
  let own = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > x[best]) best = i;
    const g = i + s.cut;
    if (g >= s.from - margin && g <= s.to + margin && x[i] > own) own = x[i];
  }
  const g = best + s.cut;
  return { hit: g >= s.from - margin && g <= s.to + margin, argmax: g, own, top: x[best] ?? 0 };
}

function evalCombo(s: Series, combo0: string[]): { hit: boolean; argmax: number; own: number; top: number } {
  const len = s.n - s.cut;
  if (combo0.length === 1 && combo0[0].includes('!')) {
    // `a!b`: an oracle (diagnosis only): located when any member's own argmax is
    const rs = combo0[0].split('!').map((nm) => evalCombo(s, [nm]));
    return rs.find((r) => r.hit) ?? rs[0];
  }
  if (combo0.length === 1 && combo0[0].includes('@')) {
    // `a@b@c`: select by prominence over that part's median prominence across the corpus' series
    const zone = Math.max(exclMin, Math.round(exclMul * (s.estPeriod || 0)));
    const names = combo0[0].split('@');
    let k = 0;
    let bestP = Number.NEGATIVE_INFINITY;
    names.forEach((nm, j) => {
      const x = s.scores.get(nm);
      if (!x) return;
      const p = prominence(x, zone).prom / (corpusMedProm.get(nm) ?? 1);
      // a later member replaces the choice so far only when `PROM_BIAS` times as prominent as it (unlike
      // `a?b`, where the bias favours the first member only); the figures in docs/evaluation.md used this
      if (j === 0 || p > bestP * promBias) {
        bestP = p;
        k = j;
      }
    });
    return evalCombo(s, [names[k]]);
  }
  if (combo0.length === 1 && combo0[0].includes('%')) {
    // `a%b%c`: a vote. Each member proposes its own argmax; the proposal that most members' argmaxes
    // fall within ± the exclusion zone of wins (ties: the earlier member's)
    const zone = Math.max(exclMin, Math.round(exclMul * (s.estPeriod || 0)));
    const rs = combo0[0].split('%').map((nm) => evalCombo(s, [nm]));
    let k = 0;
    let votesK = -1;
    rs.forEach((r, j) => {
      const v = rs.filter((q) => Math.abs(q.argmax - r.argmax) <= zone).length;
      if (v > votesK) {
        votesK = v;
        k = j;
      }
    });
    return rs[k];
  }
  if (combo0.length === 1 && combo0[0].includes('/')) {
    // `a/p8` (locate round 7): a contrast score, a member's score over its own centred mean over w
    // points (here 8 of the periods the detector finds, `checkedPeriod`, or 8 × 32 points without one):
    // a top in a stretch where every subsequence is far from its neighbours (noise) counts less than
    // one among close matches, as a local outlier factor on the profile; `a/p8e0.5`: over the mean^0.5
    const [nm, spec] = combo0[0].split('/');
    // `a/p8h1`: the mean leaves out a centred hole of 1 period (the top's own subsequences)
    const [spec1, holeSpec] = spec.split('h');
    const [wSpec, eSpec] = spec1.split('e');
    const e = eSpec ? Number(eSpec) : 1;
    const hole = holeSpec ? Math.round(Number(holeSpec) * (s.checked || 32)) : 0;
    const w = wSpec.startsWith('p')
      ? Math.max(1, Math.round(Number(wSpec.slice(1)) * (s.checked || 32)))
      : Number(wSpec);
    const y = s.scores.get(nm) ?? new Float64Array(len);
    const c = new Float64Array(len + 1);
    for (let i = 0; i < len; i++) c[i + 1] = c[i] + Math.max(0, y[i]);
    const h = w >> 1;
    const x = new Float64Array(len);
    for (let i = 0; i < len; i++) {
      const a = Math.max(0, i - h);
      const b = Math.min(len, i - h + w);
      const ha = Math.max(a, i - (hole >> 1));
      const hb = Math.min(b, i - (hole >> 1) + hole);
      const cnt = b - a - Math.max(0, hb - ha);
      const mean = cnt > 0 ? (c[b] - c[a] - (hb > ha ? c[hb] - c[ha] : 0)) / cnt : 0;
      x[i] = mean > 0 ? Math.max(0, y[i]) / mean ** e : 0;
    }
    return verdict(s, x);
  }
  if (combo0.length === 1 && combo0[0].includes('#')) {
    // `a#p0.5`: the geometric mean of a member's score and its centred mean over w points (a top that
    // is both high and broad; locate round 5)
    // `a#p0.25c64`: over 0.25 of the period the detector finds (`checkedPeriod`), at most 64 points
    const [nm, spec] = combo0[0].split('#');
    const [spec0, alphaSpec] = spec.split('a');
    const alpha = alphaSpec ? Number(alphaSpec) : 0.5;
    const [wSpec, capSpec] = spec0.split('c');
    const cap = capSpec ? Number(capSpec) : Number.POSITIVE_INFINITY;
    const w = Math.min(
      cap,
      wSpec.startsWith('p')
        ? Math.max(1, Math.round(Number(wSpec.slice(1)) * (s.checked || 32)))
        : Number(wSpec),
    );
    const y = s.scores.get(nm) ?? new Float64Array(len);
    const c = new Float64Array(len + 1);
    for (let i = 0; i < len; i++) c[i + 1] = c[i] + y[i];
    const h = w >> 1;
    const x = new Float64Array(len);
    for (let i = 0; i < len; i++) {
      const a = Math.max(0, i - h);
      const b = Math.min(len, i - h + w);
      // `a#p0.25a0.3`: score^(1 − 0.3) × mean^0.3 (default 0.5, the geometric mean)
      x[i] = Math.max(0, y[i]) ** (1 - alpha) * Math.max(0, (c[b] - c[a]) / (b - a)) ** alpha;
    }
    return verdict(s, x);
  }
  if (combo0.length === 1 && combo0[0].includes('$')) {
    // `a$b`: each member over its own test-part quantile `NORM_Q` (default 0.5) then the pointwise
    // maximum (locate round 5: a part whose benign distances run high weighs less)
    const q = Number(process.env.NORM_Q ?? 0.5);
    const x = new Float64Array(len);
    for (const nm of combo0[0].split('$')) {
      const y = s.scores.get(nm) ?? new Float64Array(len);
      const pos = Float64Array.from(y.filter((v) => v > 0)).sort();
      const d = pos[Math.floor(q * (pos.length - 1))] || 1;
      for (let i = 0; i < len; i++) if (y[i] / d > x[i]) x[i] = y[i] / d;
    }
    return verdict(s, x);
  }
  if (combo0.length === 1 && /[?*]/.test(combo0[0])) {
    const mode = combo0[0].includes('?') ? '?' : '*';
    const x = promCombo(s, combo0[0].split(mode), mode);
    return verdict(s, x);
  }
  const last = combo0[combo0.length - 1];
  const tilde = last.indexOf('~');
  const combo = [...combo0.slice(0, -1), tilde >= 0 ? last.slice(0, tilde) : last];
  const wSpec = tilde >= 0 ? last.slice(tilde + 1) : '1';
  const w = wSpec.startsWith('p')
    ? Math.max(1, Math.round(Number(wSpec.slice(1)) * (s.estPeriod || 32)))
    : Number(wSpec);
  const sm = smoothed(s, combo, w);
  let best = -1;
  let top = Number.NEGATIVE_INFINITY;
  let own = 0;
  const lo = s.from - margin;
  const hi = s.to + margin;
  for (let i = 0; i < len; i++) {
    const v = sm[i];
    if (v > top) {
      top = v;
      best = i + s.cut;
    }
    const g = i + s.cut;
    if (g >= lo && g <= hi && v > own) own = v;
  }
  return { hit: best >= lo && best <= hi, argmax: best, own, top };
}

/**
 * Locate round 7 (diagnosis): the rank of the anomaly among a member's distinct tops (the highest
 * score, then the highest more than `zone` points from every earlier top, …; up to 20; `zone` = one
 * period found, at least the 100-point margin), the first top within the margin of the anomaly; `>20`
 * when none of the first 20 is.
 */
function topRank(s: Series, name: string, zone: number): string {
  const x = s.scores.get(name);
  if (!x) return '-';
  const taken: number[] = [];
  for (let r = 1; r <= 20; r++) {
    let best = -1;
    for (let i = 0; i < x.length; i++) {
      if (best >= 0 && x[i] <= x[best]) continue;
      if (taken.some((t) => Math.abs(t - i) <= zone)) continue;
      best = i;
    }
    if (best < 0 || !(x[best] > 0)) return `>${r - 1}`;
    const g = best + s.cut;
    if (g >= s.from - margin && g <= s.to + margin) return String(r);
    taken.push(best);
  }
  return '>20';
}

mkdirSync(cacheDir, { recursive: true });
const totals = combos.map(() => [0, 0]);
const byType = combos.map(() => new Map<string, [number, number]>());
for (const dir of dirs) {
  const series = await loadCorpus(dir);
  corpusMedProm.clear();
  for (const nm of new Set(combos.flatMap((c) => c.flatMap((x) => x.split('@'))))) {
    const ps = series
      .map((q) => {
        const x = q.scores.get(nm);
        const zone = Math.max(exclMin, Math.round(exclMul * (q.estPeriod || 0)));
        return x ? prominence(x, zone).prom : Number.NaN;
      })
      .filter((v) => Number.isFinite(v))
      .sort((a, b) => a - b);
    corpusMedProm.set(nm, ps[ps.length >> 1] ?? 1);
  }
  const line: string[] = [];
  combos.forEach((combo, k) => {
    let hits = 0;
    for (const s of series) {
      const r = evalCombo(s, combo);
      if (r.hit) hits++;
      const type = s.kind.includes(':') ? s.kind : `${basename(dir).replace(/\d+$/, '')}:${s.kind}`;
      for (const key of type.split(':').map((p, j) => (j === 0 ? `fam ${p}` : p))) {
        const e = byType[k].get(key) ?? [0, 0];
        byType[k].set(key, [e[0] + (r.hit ? 1 : 0), e[1] + 1]);
      }
      if (perFile && k === 0 && !r.hit) {
        const blk = s.blocks.get(combo[0]) ?? 0;
        const zone = Math.max(margin, Math.round(exclMul * (s.checked || 0)));
        const per = s.truePeriod || s.checked;
        console.log(
          `  miss ${basename(dir)} ${s.kind.padEnd(22)} p ${String(s.truePeriod).padStart(5)} est ${String(s.estPeriod).padStart(5)} k ${blk} argmax−from ${String(r.argmax - s.from).padStart(6)} len ${s.to - s.from + 1} len/p ${per > 0 ? ((s.to - s.from + 1) / per).toFixed(2) : '-'} own/top ${(r.own / r.top).toFixed(2)} top ${r.top.toFixed(2)} rank ${topRank(s, combo[0], zone)}`,
        );
        // every setting at the argmax (±8 points) and its best within the anomaly's margin
        const parts: string[] = [];
        for (const [name, x] of s.scores) {
          let atTop = 0;
          let inOwn = 0;
          for (let i = 0; i < x.length; i++) {
            const g = i + s.cut;
            if (Math.abs(g - r.argmax) <= 8 && x[i] > atTop) atTop = x[i];
            if (g >= s.from - margin && g <= s.to + margin && x[i] > inOwn) inOwn = x[i];
          }
          parts.push(`${name} ${atTop.toFixed(2)}/${inOwn.toFixed(2)} r${topRank(s, name, zone)}`);
        }
        console.log(`      at argmax / in anomaly: ${parts.join('  ')}`);
      }
    }
    totals[k][0] += hits;
    totals[k][1] += series.length;
    line.push(`${hits}/${series.length}`);
  });
  console.log(`${basename(dir).padEnd(10)} ${line.map((x) => x.padStart(7)).join(' ')}`);
}
combos.forEach((combo, k) => {
  const [h, n] = totals[k];
  console.log(`${combo.join('|').padEnd(40)} ${h}/${n} ${((100 * h) / n).toFixed(1)} %`);
  const parts = [...byType[k].entries()].sort((a, b) => a[0].localeCompare(b[0]));
  console.log(`    ${parts.map(([t, [x, y]]) => `${t} ${x}/${y}`).join(', ')}`);
});

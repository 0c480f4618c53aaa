/**
 * Round 11 of docs/evaluation.md: alarm paths beside `defaultDetector()`, replayed without re-running the
 * default for every setting. Phase 1 streams, once per file (NAB's 15 % training part, every later point
 * scored then learnt), the default and each member of its mean alone as the default builds it (ETS
 * calibrated by an ensemble, the forest and ZMS by their own calibrators), and caches the scores (scratch
 * folder keyed by corpus and file, not by code: use a new folder when the default changes). Phase 2
 * replays each setting through the default alarm rule: windows found at or after the onset per kind,
 * anomaly-free files quiet. Tuning seeds only (protocol rule 1).
 *
 *   npx tsx bench/combo-sweep.ts <cacheDir> <corpusDir>… -- '<setting json>'…
 *
 * A setting: `{ "ets": k }` adds |ETS| × 3 / k by the maximum (the jump member alone alarms at k);
 * `{ "strong": S }` lets a raw score ≥ S emit an alarm without a second raw alarm in the rule's window;
 * `{ "member": k }` adds the largest member × 3 / k; `{ "full": true }` makes the rule's window reach back
 * over the last two earlier points at least (`fullWindow`); `none` is the default alone. Settings combine
 * (`{ "full": true, "strong": 3.5, "ets": 4 }` is `defaultJump11`). With DIAG=1 every file whose outcome
 * changes is printed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DEFAULT_ALARM_RULE, defaultDetector } from '../src/detectors/default.js';
import type { Detector } from '../src/detectors/types.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { defaultMemberAlone } from './harness.js';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const [cacheDir, ...corpora] = sep < 0 ? argv : argv.slice(0, sep);
const settings = sep < 0 ? ['none'] : argv.slice(sep + 1);
if (!cacheDir || corpora.length === 0)
  throw new Error("usage: combo-sweep.ts <cacheDir> <corpus>… -- '<setting json>'…");
const diag = process.env.DIAG === '1';

const key = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '_');

async function scores(corpus: string, file: string, tag: string, make: () => Detector) {
  const dir = join(cacheDir, key(corpus));
  const path = join(dir, `${key(file)}.${tag}.f64`);
  if (existsSync(path)) {
    const b = readFileSync(path);
    return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
  const { series } = await loadCorpusFile(corpus, file);
  const { t, v } = series;
  const n = t.length;
  const p = nabProbationaryLength(n);
  const det = make();
  det.train({ t: t.subarray(0, p), v: v.subarray(0, p) });
  const s = det.stream();
  const out = new Float64Array(n);
  for (let i = p; i < n; i++) out[i] = s.push(t[i], v[i]).score;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, Buffer.from(out.buffer));
  return out;
}

interface Setting {
  ets?: number;
  member?: number;
  strong?: number;
  /** The rule's window always holds the last `minAlmInWindow` points (no relaxed requirement after the start). */
  full?: boolean;
}

/** The default alarm rule (AggregateAlarms), with an optional strong single-alarm path. */
function alarms(t: Float64Array, s: Float64Array, p: number, strong: number, full: boolean): Uint8Array {
  const th = DEFAULT_ALARM_RULE.almThreshold;
  const win = DEFAULT_ALARM_RULE.almWindowMinutes * 60_000;
  const sup = DEFAULT_ALARM_RULE.almSuppressMinutes * 60_000;
  const out = new Uint8Array(t.length);
  let last = Number.NEGATIVE_INFINITY;
  const raws: number[] = [];
  let ptsStart = p;
  for (let i = p; i < t.length; i++) {
    const minAlm = DEFAULT_ALARM_RULE.minAlmInWindow;
    const w0 = !full
      ? t[i] - win
      : i - minAlm >= p
        ? Math.min(t[i] - win, t[i - minAlm])
        : Number.NEGATIVE_INFINITY;
    while (ptsStart < i && t[ptsStart] < w0) ptsStart++;
    const before = i - ptsStart;
    while (raws.length && raws[0] < w0) raws.shift();
    if (s[i] < th) continue;
    raws.push(t[i]);
    const need = Math.min(minAlm, before);
    if ((raws.length >= need || s[i] >= strong) && last < t[i] - sup) {
      last = t[i];
      out[i] = 1;
    }
  }
  return out;
}

const parsed: (Setting | null)[] = settings.map((s) => (s === 'none' ? null : (JSON.parse(s) as Setting)));
const tallies = settings.map(() => ({ found: new Map<string, [number, number]>(), quiet: [0, 0] }));
const perCorpus: string[] = [];

for (const corpus of corpora) {
  const windows = corpusWindows(corpus);
  const kinds = corpusKinds(corpus);
  const local = settings.map(() => [0, 0, 0, 0]);
  for (const file of Object.keys(windows).sort()) {
    const def = await scores(corpus, file, 'default', () => defaultDetector());
    const mem = [
      await scores(corpus, file, 'ets', () => defaultMemberAlone(0)),
      await scores(corpus, file, 'rcf', () => defaultMemberAlone(1)),
      await scores(corpus, file, 'zms', () => defaultMemberAlone(2)),
    ];
    const { series } = await loadCorpusFile(corpus, file);
    const { t } = series;
    const n = t.length;
    const p = nabProbationaryLength(n);
    let base: string | null = null;
    for (let k = 0; k < settings.length; k++) {
      const o = parsed[k];
      const c = new Float64Array(n);
      for (let i = p; i < n; i++) {
        let x = Math.abs(def[i]);
        if (o?.ets) x = Math.max(x, (Math.abs(mem[0][i]) * 3) / o.ets);
        if (o?.member) {
          const m = Math.max(Math.abs(mem[0][i]), Math.abs(mem[1][i]), Math.abs(mem[2][i]));
          x = Math.max(x, (m * 3) / o.member);
        }
        c[i] = x;
      }
      const alarm = alarms(t, c, p, o?.strong ?? Number.POSITIVE_INFINITY, o?.full === true);
      const ws = kinds[file];
      let outcome = '';
      for (const w of ws) {
        const e = tallies[k].found.get(w.kind) ?? [0, 0];
        e[1]++;
        let f = false;
        for (let i = p; i < n; i++)
          if (alarm[i] && t[i] >= w.onset && t[i] <= w.end) {
            f = true;
            break;
          }
        if (f) e[0]++;
        tallies[k].found.set(w.kind, e);
        local[k][0] += f ? 1 : 0;
        local[k][1]++;
        outcome = f ? 'found' : 'missed';
      }
      if (ws.length === 0) {
        const cnt = alarm.reduce((a, b) => a + b, 0);
        tallies[k].quiet[1]++;
        local[k][3]++;
        if (cnt === 0) {
          tallies[k].quiet[0]++;
          local[k][2]++;
        }
        outcome = cnt === 0 ? 'quiet' : `${cnt} alarms`;
      }
      if (k === 0) base = outcome;
      else if (diag && outcome !== base)
        process.stdout.write(`  [${k}] ${basename(corpus)} ${file}: ${base} -> ${outcome}\n`);
    }
  }
  perCorpus.push(
    `${basename(corpus)}: ${settings.map((_s, k) => `[${k}] ${local[k][0]}/${local[k][1]} quiet ${local[k][2]}/${local[k][3]}`).join('  ')}`,
  );
}
for (const line of perCorpus) process.stdout.write(`${line}\n`);
settings.forEach((s, k) => {
  const tl = tallies[k];
  const ks = [...tl.found.entries()].sort(([a], [b]) => a.localeCompare(b));
  const tot = ks.reduce((a, [, e]) => a + e[0], 0);
  const all = ks.reduce((a, [, e]) => a + e[1], 0);
  process.stdout.write(
    `[${k}] ${s}: found ${tot}/${all}; quiet ${tl.quiet[0]}/${tl.quiet[1]}; ${ks.map(([kk, e]) => `${kk} ${e[0]}`).join(', ')}\n`,
  );
});

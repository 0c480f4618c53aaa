import { basename } from 'node:path';
import { defaultDetector } from '../src/detectors/default.js';
import type { Detector } from '../src/detectors/types.js';
import { BEFORE_12C } from '../src/lab/alarm-paths.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import {
  cachedStreamScores,
  corpusSweep,
  defaultMemberAlone,
  replayAlarms,
  sweepSummary,
} from './harness.js';

const sweep = corpusSweep('combo-sweep.ts', "'<setting json>'", ['none']);
const { cacheDir, corpora, settings } = sweep;
const diag = process.env.DIAG === '1';

const scores = (corpus: string, file: string, tag: string, make: () => Detector) =>
  cachedStreamScores(cacheDir, corpus, file, tag, make);

interface Setting {
  ets?: number;
  member?: number;
  strong?: number;
  /** The rule's window always holds the last `minAlmInWindow` points (no relaxed requirement after the start). */
  full?: boolean;
}

const parsed: (Setting | null)[] = settings.map((s) => (s === 'none' ? null : (JSON.parse(s) as Setting)));
const tallies = settings.map(() => ({ found: new Map<string, [number, number]>(), quiet: [0, 0] }));
const perCorpus: string[] = [];

for (const corpus of corpora) {
  const windows = corpusWindows(corpus);
  const kinds = corpusKinds(corpus);
  const local = settings.map(() => [0, 0, 0, 0]);
  for (const file of Object.keys(windows).sort()) {
    const def = await scores(corpus, file, 'default', () => defaultDetector(BEFORE_12C));
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
      const alarm = replayAlarms(t, c, p, o?.strong ?? Number.POSITIVE_INFINITY, o?.full === true);
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
  perCorpus.push(sweep.line(corpus, local));
}
for (const line of perCorpus) process.stdout.write(`${line}\n`);
settings.forEach((s, k) => {
  const tl = tallies[k];
  process.stdout.write(sweepSummary(k, s, tl.found, tl.quiet));
});

/**
 * Cross-validation over `bench/discord-diag.ts` replays (docs/evaluation.md, "Locate round 6"): reads the
 * per-corpus counts a replay prints (one line per corpus folder, `ucr1  37/42  35/42 …`, then one summary
 * line per combination in the same order) and, for each fold, chooses the combination with the most
 * located series on the other folds, then counts what it locates on the held-out fold. Oracles (`a!b`)
 * are diagnosis only and never candidates. Ties go to the combination listed first (list the default
 * first). Several replays may be given (files, or `-` for standard input); a line that is neither a
 * corpus line nor a summary line (e.g. `== PROM_BIAS=1.25` written between runs) starts a new section,
 * and a combination is then named with its section's header, so the same combination under two settings
 * is two candidates.
 *
 *   npx tsx bench/locate-cv.ts [--by family|seed] <replay output | -> …
 *
 * `--by family` (the default): a fold is a corpus family, the folder name without its trailing seed
 * (`ucr1`, `ucr2`, `ucr3` → `ucr`); `--by seed`: a fold is a seed group, the trailing number (`ucr1`,
 * `beats1`, `synth1` → `1`).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const corpusLine = /^(\S+?\d+)\s+(\d+\/\d+(?:\s+\d+\/\d+)*)\s*$/;
const summaryLine = /^(\S+)\s+\d+\/\d+ [\d.]+ %$/;

/**
 * Adds one replay's counts to `rows` (candidate → corpus → located series). A summary line past the
 * counts of a corpus line of its section (more combinations than columns: a replay cut short, or two
 * replays pasted together) is an error naming `file` and the line, never a count read as missing.
 */
export function readReplay(text: string, file: string, rows: Map<string, Map<string, number>>): void {
  let header = '';
  let corpora: { name: string; hits: number[]; line: number }[] = [];
  let k = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith(' ') || line.trim() === '') continue; // per-kind breakdowns, blank lines
    const c = corpusLine.exec(line);
    if (c) {
      if (k > 0) {
        corpora = [];
        k = 0;
      }
      corpora.push({ name: c[1], hits: c[2].split(/\s+/).map((x) => Number(x.split('/')[0])), line: i + 1 });
      continue;
    }
    const s = summaryLine.exec(line);
    if (s && corpora.length > 0) {
      const short = corpora.find((cp) => k >= cp.hits.length);
      if (short) {
        const n = short.hits.length;
        throw new Error(
          `${file}:${i + 1}: summary line ${k + 1} ("${s[1]}") has no count in corpus line ${short.line} ("${short.name}", ${n} count${n === 1 ? '' : 's'}): each corpus line needs one count per summary line that follows it; check that the replay is whole and that two replays are not run together`,
        );
      }
      const name = header ? `${s[1]} [${header}]` : s[1];
      const m = rows.get(name) ?? new Map<string, number>();
      for (const cp of corpora) m.set(cp.name, cp.hits[k]);
      rows.set(name, m);
      k++;
      continue;
    }
    // anything else (a header, `real 9m…`) starts a new section
    header = line.replace(/^=+\s*/, '').trim();
    corpora = [];
    k = 0;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();

function main(): void {
  const args = process.argv.slice(2);
  const byIdx = args.indexOf('--by');
  const by = byIdx >= 0 ? args[byIdx + 1] : 'family';
  const files = byIdx >= 0 ? args.filter((_, i) => i !== byIdx && i !== byIdx + 1) : args;
  if ((by !== 'family' && by !== 'seed') || files.length === 0) {
    throw new Error('usage: locate-cv.ts [--by family|seed] <replay output | -> …');
  }
  /** candidate → corpus → located series */
  const rows = new Map<string, Map<string, number>>();
  for (const file of files)
    readReplay(readFileSync(file === '-' ? 0 : file, 'utf8'), file === '-' ? 'stdin' : file, rows);

  const fold = (corpus: string): string =>
    by === 'seed' ? corpus.replace(/^\D+/, '') : corpus.replace(/\d+$/, '');
  const folds = [...new Set([...rows.values()].flatMap((m) => [...m.keys()].map(fold)))].sort();
  const total = (name: string, fs: readonly string[]): number => {
    let h = 0;
    for (const [c, x] of rows.get(name) ?? []) if (fs.includes(fold(c))) h += x;
    return h;
  };
  const candidates = [...rows.keys()].filter((n) => !n.includes('!'));
  if (candidates.length === 0) throw new Error('no combination found in the replay output');
  const first = candidates[0];
  console.log(`in-sample (${folds.join(', ')}):`);
  for (const n of rows.keys()) console.log(`  ${n.padEnd(48)} ${total(n, folds)}`);
  let cv = 0;
  for (const h of folds) {
    const others = folds.filter((f) => f !== h);
    let best = first;
    for (const n of candidates) if (total(n, others) > total(best, others)) best = n;
    const got = total(best, [h]);
    cv += got;
    console.log(
      `hold out ${h}: choose ${best} (${total(best, others)} on the others) → ${got} on ${h} (${first}: ${total(first, [h])})`,
    );
  }
  console.log(`cross-validated (by ${by}): ${cv} against ${first}'s ${total(first, folds)}`);
}

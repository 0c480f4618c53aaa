/**
 * Locate accuracy of `DiscordDetector` settings over corpora in NAB's layout (docs/evaluation.md, locate
 * mode). Choose settings on tuning seeds only; report the chosen one on held-out seeds with
 * `tsad bench --corpus DIR --locate -d discord`.
 *
 *   npx tsx bench/discord-locate.ts '<json settings list>' <corpusDir> [<corpusDir> …]
 *
 * e.g. `'[{}, {"lengths":[1]}, {"noiseFloor":0}]'`: each entry is a `DiscordDetector` config (merged over
 * the defaults; the calibrator is kept, as the recipe does). Prints accuracy per corpus and the mean.
 */
import { DiscordDetector, type DiscordInput } from '../src/detectors/discord/detector.js';
import { runLocate } from '../src/lab/locate.js';

const [list, ...dirs] = process.argv.slice(2);
if (!list || dirs.length === 0) throw new Error("usage: discord-locate.ts '<json list>' <corpusDir> …");
const settings = JSON.parse(list) as DiscordInput[];
const build: Record<string, (seed: number) => DiscordDetector> = {};
settings.forEach((c, k) => {
  build[`s${k}`] = (seed) => new DiscordDetector({ ...c, seed });
});
const names = Object.keys(build);
const acc = names.map(() => [] as number[]);
const kinds = names.map(() => new Map<string, [number, number]>());
for (const dir of dirs) {
  const r = await runLocate({ corpus: dir, detectors: names, build });
  r.rows.forEach((row) => {
    const k = names.indexOf(row.recipe);
    acc[k].push(row.accuracy);
    for (const e of row.byKind) {
      const c = kinds[k].get(e.kind) ?? [0, 0];
      kinds[k].set(e.kind, [c[0] + e.hits, c[1] + e.files]);
    }
  });
}
names.forEach((_n, k) => {
  const a = acc[k];
  const mean = a.reduce((x, y) => x + y, 0) / a.length;
  console.log(
    `${JSON.stringify(settings[k]).padEnd(60)} ${a.map((x) => (100 * x).toFixed(1).padStart(5)).join(' ')}  mean ${(100 * mean).toFixed(1)}`,
  );
  const byKind = [...kinds[k].entries()].sort((x, y) => x[0].localeCompare(y[0]));
  if (byKind.some(([kind]) => kind.includes(':'))) {
    // `family:type` kinds (bench/real-corpus.ts): totals per family and per type
    for (const part of [0, 1]) {
      const agg = new Map<string, [number, number]>();
      for (const [kind, [h, f]] of byKind) {
        const key = kind.split(':')[part] ?? kind;
        const c = agg.get(key) ?? [0, 0];
        agg.set(key, [c[0] + h, c[1] + f]);
      }
      console.log(`    ${[...agg.entries()].map(([kind, [h, f]]) => `${kind} ${h}/${f}`).join(', ')}`);
    }
  } else {
    console.log(`    ${byKind.map(([kind, [h, f]]) => `${kind} ${h}/${f}`).join(', ')}`);
  }
});

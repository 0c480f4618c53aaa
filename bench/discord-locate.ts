/**
 * Locate accuracy of `DiscordDetector` settings over corpora in NAB's layout (docs/evaluation.md, locate
 * mode). Choose settings on tuning seeds only; report the chosen one on held-out seeds with
 * `tsad bench --corpus DIR --locate -d discord`.
 *
 *   npx tsx bench/discord-locate.ts '<json settings list>' <corpusDir> [<corpusDir> …]
 *
 * e.g. `'[{}, {"lengths":[1]}, {"noiseFloor":0}]'`: each entry is a `DiscordDetector` config (merged over
 * the defaults; the calibrator is kept, as the recipe does). Prints accuracy per corpus and the mean,
 * and the seconds each setting took over all corpora.
 *
 * An entry with `_sides` (`"left"` or `"both"`) is scored offline by `discordLocateScores` instead
 * (docs/evaluation.md, locate round 4: `"both"` is the two-sided score of `--locate`'s
 * `discordTwoSided`; `"left"` gives the streaming detector's raw scores), `_windowMul` scales each
 *  side's window, `_rightExcl` the future side's exclusion in periods, `_scale` which training distances scale,
 * `_broad` the broad-top fraction of a period (locate round 5).
 */
import { DiscordDetector, type DiscordInput } from '../src/detectors/discord/detector.js';
import { discordLocateScores } from '../src/detectors/discord/two-sided.js';
import { type LocateScorer, runLocate } from '../src/lab/locate.js';

const [list, ...dirs] = process.argv.slice(2);
if (!list || dirs.length === 0) throw new Error("usage: discord-locate.ts '<json list>' <corpusDir> …");
type Entry = DiscordInput & {
  _sides?: 'left' | 'both';
  _windowMul?: number;
  _rightExcl?: number;
  _scale?: 'left' | 'both';
  _broad?: number;
};
const settings = JSON.parse(list) as Entry[];
const build: Record<string, (seed: number) => DiscordDetector> = {};
const scorers: Record<string, LocateScorer> = {};
settings.forEach((entry, k) => {
  const { _sides, _windowMul, _rightExcl, _scale, _broad, ...c } = entry;
  if (_sides || _windowMul || _rightExcl || _scale || _broad) {
    scorers[`s${k}`] = (t, v, cut, seed) =>
      discordLocateScores({ ...c, seed }, t, v, cut, {
        sides: _sides,
        windowMul: _windowMul,
        rightExclusion: _rightExcl,
        scaleFrom: _scale,
        broad: _broad,
      });
  } else build[`s${k}`] = (seed) => new DiscordDetector({ ...c, seed });
});
const names = settings.map((_e, k) => `s${k}`);
const seconds = names.map(() => 0);
const acc = names.map(() => [] as number[]);
const kinds = names.map(() => new Map<string, [number, number]>());
for (const dir of dirs) {
  const r = await runLocate({ corpus: dir, detectors: names, build, scorers });
  r.rows.forEach((row) => {
    const k = names.indexOf(row.recipe);
    seconds[k] += row.seconds;
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
    `${JSON.stringify(settings[k]).padEnd(60)} ${a.map((x) => (100 * x).toFixed(1).padStart(5)).join(' ')}  mean ${(100 * mean).toFixed(1)}  ${seconds[k].toFixed(1)} s`,
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

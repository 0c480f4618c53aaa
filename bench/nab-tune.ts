/**
 * The in-process harness the `nabStream` configuration was tuned with: runs `NabStreamCore` configs over
 * the whole NAB corpus exactly as the runner does (bins frozen at the end of the probationary period,
 * probationary rows 0, duplicate-timestamp rows mapped to their series point) and scores them with the NAB
 * scorer, without writing result files (~1 s per config).
 *
 *   npx tsx bench/nab-tune.ts '[{}, {"bins": 12}]'
 */
import { pathToFileURL } from 'node:url';
import { loadNab, nabFiles } from '../src/datasets/index.js';
import { NabStreamCore, type NabStreamInput } from '../src/detectors/nab-stream/core.js';
import { pointScoresToRows } from '../src/lab/nab-stream.js';
import {
  nabProbationaryLength,
  nabScoreAllProfiles,
  type PreparedNabFile,
  prepareNabFile,
} from '../src/metrics/nab.js';
import type { NabProfileName } from '../src/metrics/tsad.js';

export interface NabTuneResult {
  readonly config: NabStreamInput;
  readonly scores: Record<NabProfileName, number>;
  readonly threshold: number;
}

/** Scores each config on the whole corpus (files loaded once). */
export async function scoreNabStreamConfigs(configs: readonly NabStreamInput[]): Promise<NabTuneResult[]> {
  const data = await Promise.all(
    nabFiles().map((f) => loadNab(f, { duplicates: 'first', onWarning: () => {} })),
  );
  return configs.map((config) => {
    const prepared: PreparedNabFile[] = [];
    for (const ds of data) {
      const { t, v } = ds.series;
      const n = v.length;
      const p = nabProbationaryLength(n);
      const core = new NabStreamCore(config);
      const point = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        if (i === p) core.endTraining();
        const s = core.push(v[i]);
        point[i] = i < p ? 0 : s;
      }
      prepared.push(
        prepareNabFile(
          ds.name,
          { t: ds.rows.t, windows: ds.windows },
          pointScoresToRows(t, point, ds.rows.t),
        ),
      );
    }
    const r = nabScoreAllProfiles(prepared);
    return {
      config,
      scores: {
        standard: r.standard.normalized,
        reward_low_FP_rate: r.reward_low_FP_rate.normalized,
        reward_low_FN_rate: r.reward_low_FN_rate.normalized,
      },
      threshold: r.standard.threshold,
    };
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const configs = JSON.parse(process.argv[2] ?? '[{}]') as NabStreamInput[];
  for (const r of await scoreNabStreamConfigs(configs)) {
    const s = r.scores;
    console.log(
      `${JSON.stringify(r.config)}  ${s.standard.toFixed(2)} / ${s.reward_low_FP_rate.toFixed(2)} / ${s.reward_low_FN_rate.toFixed(2)}  (standard threshold ${r.threshold.toFixed(4)})`,
    );
  }
}

/**
 * Drift across the NAB corpus: for each data file, a `Monitor` whose reference is the file's
 * probationary period (NAB's first 15 %, at most 750 points) watches the rest of the file in
 * consecutive windows of the same length. A file is flagged as drifting when any window is a drift
 * event. The files with the largest drift (largest PSI of any window) are plotted in one HTML report:
 * each file's series with its probationary split and, below, the PSI of each window over time.
 */
import { loadNab, type NabLocationOptions, nabFiles } from '../datasets/nab.js';
import { nabProbationaryLength } from '../metrics/nab.js';
import { renderExperimentReport } from '../report/html.js';
import type { TimeSeries } from '../series/types.js';
import { type DriftCheck, type DriftThresholds, Monitor } from './monitor.js';

export interface NabDriftOptions extends NabLocationOptions {
  /** Files to survey (default: the whole corpus). */
  readonly files?: readonly string[];
  readonly bins?: number;
  readonly thresholds?: DriftThresholds;
  /** How many files to plot (default 5). */
  readonly top?: number;
}

export interface NabDriftFile {
  readonly file: string;
  readonly points: number;
  readonly referencePoints: number;
  readonly checks: number;
  readonly driftEvents: number;
  readonly maxPsi: number;
  readonly maxKsD: number;
  readonly minKsP: number;
  readonly maxJs: number;
  readonly drifting: boolean;
}

export interface NabDriftSurvey {
  readonly files: NabDriftFile[];
  readonly drifting: number;
  /** The `top` files by largest PSI, with what their plot needs. */
  readonly largest: {
    readonly file: NabDriftFile;
    readonly series: TimeSeries;
    readonly split: number;
    readonly checks: DriftCheck[];
  }[];
  readonly ms: number;
}

/** Surveys the corpus (see the file comment). */
export async function nabDriftSurvey(opts: NabDriftOptions = {}): Promise<NabDriftSurvey> {
  const start = performance.now();
  const files = opts.files ?? nabFiles();
  const out: { file: NabDriftFile; series: TimeSeries; split: number; checks: DriftCheck[] }[] = [];
  for (const file of files) {
    const ds = await loadNab(file, { ...opts, onWarning: () => {} });
    const s = ds.series;
    const n = s.t.length;
    const p = Math.max(2, Math.floor(nabProbationaryLength(n)));
    const mon = new Monitor({
      reference: { value: s.v.subarray(0, p) },
      window: p,
      every: p,
      series: file,
      ...(opts.bins ? { bins: opts.bins } : {}),
      ...(opts.thresholds ? { thresholds: opts.thresholds } : {}),
    });
    const checks: DriftCheck[] = [];
    for (let i = p; i < n; i++) {
      const c = mon.push(s.t[i], s.v[i]);
      if (c) checks.push(c);
    }
    const stat = (f: (c: DriftCheck) => number, pick: (a: number, b: number) => number, init: number) =>
      checks.reduce((acc, c) => pick(acc, f(c)), init);
    const v = (c: DriftCheck) => c.channels.value as NonNullable<DriftCheck['channels']['value']>;
    const events = checks.filter((c) => c.drift).length;
    out.push({
      file: {
        file,
        points: n,
        referencePoints: p,
        checks: checks.length,
        driftEvents: events,
        maxPsi: stat((c) => v(c).psi, Math.max, 0),
        maxKsD: stat((c) => v(c).ksD, Math.max, 0),
        minKsP: stat((c) => v(c).ksP, Math.min, 1),
        maxJs: stat((c) => v(c).js, Math.max, 0),
        drifting: events > 0,
      },
      series: s,
      split: s.t[p],
      checks,
    });
  }
  const largest = [...out].sort((a, b) => b.file.maxPsi - a.file.maxPsi).slice(0, opts.top ?? 5);
  return {
    files: out.map((o) => o.file),
    drifting: out.filter((o) => o.file.drifting).length,
    largest,
    ms: performance.now() - start,
  };
}

function escAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * One self-contained HTML page: the survey table, then one plot per largest drift (each the experiment
 * report of src/report, embedded with `srcdoc`): the series, the end of the probationary period, and the
 * PSI of each window against it (drift events marked as alarms).
 */
export function renderNabDriftReport(survey: NabDriftSurvey): string {
  const plots = survey.largest.map(({ file, series, split, checks }) => {
    const t = Float64Array.from(checks.map((c) => c.t));
    const v = Float64Array.from(checks.map((c) => c.channels.value?.psi ?? 0));
    const page = renderExperimentReport({
      title: file.file,
      subtitle: `reference: the first ${file.referencePoints} points (probationary period); PSI of each following window of ${file.referencePoints} points; ${file.driftEvents} drift events of ${file.checks} windows`,
      series,
      windows: [],
      split,
      scores: { t, v },
      alarms: checks
        .filter((c) => c.drift)
        .map((c) => ({ t: c.t, score: c.channels.value?.psi ?? 0, window: null })),
      tables: [
        {
          title: 'Drift of the input values against the probationary period',
          table: {
            headers: ['max PSI', 'max KS D', 'min KS p', 'max JS (bits)'],
            rows: [[file.maxPsi, file.maxKsD, file.minKsP, file.maxJs]],
          },
        },
      ],
    });
    return `<h2>${escAttr(file.file)}: max PSI ${file.maxPsi.toFixed(2)}</h2>\n<iframe style="width:1240px;height:820px;border:0" srcdoc="${escAttr(page)}"></iframe>`;
  });
  const rows = [...survey.files]
    .sort((a, b) => b.maxPsi - a.maxPsi)
    .map(
      (f) =>
        `<tr><td>${escAttr(f.file)}</td><td>${f.points}</td><td>${f.referencePoints}</td><td>${f.checks}</td><td>${f.driftEvents}</td><td>${f.maxPsi.toFixed(3)}</td><td>${f.maxKsD.toFixed(3)}</td><td>${f.minKsP.toExponential(2)}</td><td>${f.maxJs.toFixed(3)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NAB corpus drift against the probationary period</title>
<style>body{font:14px system-ui,sans-serif;margin:16px} table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:2px 6px;text-align:right} td:first-child{text-align:left}</style>
</head><body>
<h1>NAB corpus: drift against the probationary period</h1>
<p>${survey.drifting} of ${survey.files.length} files drift (KS p &lt; threshold and PSI ≥ threshold in at least one window).</p>
${plots.join('\n')}
<h2>All files</h2>
<table><tr><th>file</th><th>points</th><th>reference</th><th>windows</th><th>drift events</th><th>max PSI</th><th>max KS D</th><th>min KS p</th><th>max JS</th></tr>
${rows}
</table>
</body></html>
`;
}

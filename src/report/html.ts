import { SeriesError } from '../errors.js';
import { MAX_TIME_MS } from '../series/time.js';
import type { TimeSeries, Window } from '../series/types.js';

/** One alarm as the report shows it. */
export interface ReportAlarm {
  readonly t: number;
  readonly score: number;
  /** Index of the label window the alarm falls in, or null for a false positive. */
  readonly window: number | null;
}

export interface ReportTable {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface ExperimentReportInput {
  readonly title: string;
  readonly subtitle?: string;
  /** The whole series (train and test). */
  readonly series: TimeSeries;
  /** Label windows, inclusive, epoch ms. */
  readonly windows: readonly Window[];
  /** Train/test split time (epoch ms): train is strictly before it. */
  readonly split?: number;
  /** Anomaly scores (typically over the test part). */
  readonly scores: TimeSeries;
  /** The alarm threshold on the score panel, if any. */
  readonly threshold?: number;
  readonly alarms: readonly ReportAlarm[];
  /** Tables shown under the plot (metrics, timings, ...). */
  readonly tables?: readonly { readonly title: string; readonly table: ReportTable }[];
}

const W = 1200;
const PAD_L = 64;
const PAD_R = 16;
const TOP_H = 320;
const BOT_H = 170;
const GAP = 28;
const AXIS_H = 28;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Min/max envelope downsampling to about `buckets` columns, so big series stay light. */
function envelope(ts: TimeSeries, t0: number, t1: number, buckets: number): Float64Array {
  const n = ts.t.length;
  if (n <= buckets * 2) {
    const out = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      out[2 * i] = ts.t[i];
      out[2 * i + 1] = ts.v[i];
    }
    return out;
  }
  const pts: number[] = [];
  const span = (t1 - t0) / buckets || 1;
  let i = 0;
  for (let b = 0; b < buckets && i < n; b++) {
    const end = t0 + (b + 1) * span;
    let lo = i;
    let hi = i;
    const start = i;
    while (i < n && (ts.t[i] < end || b === buckets - 1)) {
      if (ts.v[i] < ts.v[lo]) lo = i;
      if (ts.v[i] > ts.v[hi]) hi = i;
      i++;
    }
    if (i === start) continue;
    const [a, c] = lo < hi ? [lo, hi] : [hi, lo];
    pts.push(ts.t[a], ts.v[a]);
    if (c !== a) pts.push(ts.t[c], ts.v[c]);
  }
  return Float64Array.from(pts);
}

function extent(v: Float64Array): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of v) {
    if (!Number.isFinite(x)) continue;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const m = (hi - lo) * 0.05;
  return [lo - m, hi + m];
}

function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2);
  return Number(x.toPrecision(4)).toString();
}

function fmtTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** Nice time ticks (daily or coarser steps) across [t0, t1]. */
function timeTicks(t0: number, t1: number): number[] {
  const day = 86_400_000;
  const steps = [3_600_000, 6 * 3_600_000, day, 2 * day, 7 * day, 14 * day, 30 * day, 91 * day, 365 * day];
  const step = steps.find((s) => (t1 - t0) / s <= 12) ?? steps[steps.length - 1];
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

function linePath(pts: Float64Array, x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < pts.length; i += 2) {
    const v = pts[i + 1];
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(pts[i]).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

function tableHtml(title: string, t: ReportTable): string {
  const head = t.headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(typeof c === 'number' ? fmtNum(c) : c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<h2>${esc(title)}</h2>\n<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function checkSeries(name: string, ts: TimeSeries | undefined, mayBeEmpty: boolean): void {
  if (!ts?.t || !ts.v || ts.t.length !== ts.v.length) {
    throw new SeriesError('bad_input', `report ${name}: expected a TimeSeries { t, v } of equal lengths`);
  }
  if (!mayBeEmpty && ts.t.length === 0) {
    throw new SeriesError('empty', `report ${name} is empty: there is nothing to plot`);
  }
  // a timestamp a Date cannot hold would throw a RangeError while the axis is labelled
  const t = ts.t;
  for (let i = 0; i < t.length; i++) {
    if (!(Math.abs(t[i]) <= MAX_TIME_MS)) {
      throw new SeriesError(
        'bad_timestamp',
        `report ${name}: row ${i}: timestamp ${t[i]} is not an epoch-ms time a Date can hold (finite, within ±8.64e15); build the series with series() or readCsv()`,
      );
    }
  }
}

/**
 * Renders a self-contained HTML report (inline SVG and CSS, one small inline script for the hover
 * read-out; no external resources): the series with label windows shaded, the train/test split,
 * alarms marked, and the anomaly score in a panel below on a shared time axis.
 */
export function renderExperimentReport(input: ExperimentReportInput): string {
  const { series: ts, scores } = input;
  checkSeries('series', ts, false);
  checkSeries('scores', scores, true);
  const t0 = Math.min(ts.t[0], scores.t.length ? scores.t[0] : ts.t[0]);
  const t1 = Math.max(ts.t[ts.t.length - 1], scores.t.length ? scores.t[scores.t.length - 1] : 0);
  const plotW = W - PAD_L - PAD_R;
  const x = (t: number) => PAD_L + ((t - t0) / (t1 - t0 || 1)) * plotW;
  const [vlo, vhi] = extent(ts.v);
  const yTop = (v: number) => 10 + (1 - (v - vlo) / (vhi - vlo)) * (TOP_H - 20);
  const scoreAbs = Float64Array.from(scores.v, Math.abs);
  const [, shi0] = extent(scoreAbs);
  const shi = Math.max(shi0, input.threshold ?? 0) * 1.05 || 1;
  const botY0 = TOP_H + GAP;
  const yBot = (v: number) => botY0 + (1 - Math.min(Math.abs(v), shi) / shi) * (BOT_H - 10) + 5;
  const H = botY0 + BOT_H + AXIS_H;

  const parts: string[] = [];
  // label windows, shaded across both panels
  input.windows.forEach(([a, b], i) => {
    const xa = x(Math.max(a, t0));
    const xb = x(Math.min(b, t1));
    if (xb < PAD_L || xa > W - PAD_R) return;
    parts.push(
      `<rect class="window" data-window="${i}" x="${xa.toFixed(1)}" y="0" width="${Math.max(1, xb - xa).toFixed(1)}" height="${botY0 + BOT_H}"><title>label window ${i + 1}: ${fmtTime(a)} – ${fmtTime(b)}</title></rect>`,
    );
  });
  // panel frames
  parts.push(`<rect class="frame" x="${PAD_L}" y="0" width="${plotW}" height="${TOP_H}"/>`);
  parts.push(`<rect class="frame" x="${PAD_L}" y="${botY0}" width="${plotW}" height="${BOT_H}"/>`);
  // split
  if (input.split !== undefined && input.split > t0 && input.split < t1) {
    const xs = x(input.split).toFixed(1);
    parts.push(`<line class="split" x1="${xs}" x2="${xs}" y1="0" y2="${botY0 + BOT_H}"/>`);
    parts.push(`<text class="lbl" x="${Number(xs) - 6}" y="14" text-anchor="end">train</text>`);
    parts.push(`<text class="lbl" x="${Number(xs) + 6}" y="14">test</text>`);
  }
  // y axes
  for (let k = 0; k <= 4; k++) {
    const v = vlo + ((vhi - vlo) * k) / 4;
    const yy = yTop(v).toFixed(1);
    parts.push(`<line class="grid" x1="${PAD_L}" x2="${W - PAD_R}" y1="${yy}" y2="${yy}"/>`);
    parts.push(
      `<text class="tick" x="${PAD_L - 6}" y="${Number(yy) + 4}" text-anchor="end">${fmtNum(v)}</text>`,
    );
    const s = (shi * k) / 4;
    const yb = yBot(s).toFixed(1);
    parts.push(
      `<text class="tick" x="${PAD_L - 6}" y="${Number(yb) + 4}" text-anchor="end">${fmtNum(s)}</text>`,
    );
  }
  // x axis ticks
  for (const tt of timeTicks(t0, t1)) {
    const xx = x(tt).toFixed(1);
    parts.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="0" y2="${botY0 + BOT_H}"/>`);
    parts.push(
      `<text class="tick" x="${xx}" y="${botY0 + BOT_H + 18}" text-anchor="middle">${fmtTime(tt).slice(0, 10)}</text>`,
    );
  }
  // series and score lines
  const env = envelope(ts, t0, t1, plotW * 2);
  parts.push(`<path id="series-line" class="series" d="${linePath(env, x, yTop)}"/>`);
  const senv = envelope({ t: scores.t, v: scoreAbs }, t0, t1, plotW * 2);
  parts.push(`<path id="score-line" class="score" d="${linePath(senv, x, yBot)}"/>`);
  if (input.threshold !== undefined) {
    const yy = yBot(input.threshold).toFixed(1);
    parts.push(`<line class="thr" x1="${PAD_L}" x2="${W - PAD_R}" y1="${yy}" y2="${yy}"/>`);
  }
  // alarms
  for (const a of input.alarms) {
    let i = 0;
    let hi = ts.t.length - 1;
    while (i < hi) {
      const mid = (i + hi) >> 1;
      if (ts.t[mid] < a.t) i = mid + 1;
      else hi = mid;
    }
    const cls = a.window === null ? 'alarm fp' : 'alarm tp';
    const label = `${fmtTime(a.t)} score ${fmtNum(a.score)} ${a.window === null ? 'false positive' : `in window ${a.window + 1}`}`;
    parts.push(
      `<circle class="${cls}" cx="${x(a.t).toFixed(1)}" cy="${yTop(ts.v[i]).toFixed(1)}" r="6"><title>${esc(label)}</title></circle>`,
    );
    parts.push(
      `<circle class="${cls}" cx="${x(a.t).toFixed(1)}" cy="${yBot(a.score).toFixed(1)}" r="4"><title>${esc(label)}</title></circle>`,
    );
  }
  parts.push(`<text class="lbl" x="${PAD_L + 6}" y="${botY0 + 14}">anomaly score</text>`);
  parts.push(
    `<line id="cursor" class="cursor" x1="0" x2="0" y1="0" y2="${botY0 + BOT_H}" visibility="hidden"/><text id="readout" class="lbl" x="${W - PAD_R - 6}" y="${TOP_H - 8}" text-anchor="end"></text>`,
  );

  const tables = (input.tables ?? []).map((t) => tableHtml(t.title, t.table)).join('\n');
  const meta = JSON.stringify({ t0, t1, padL: PAD_L, plotW });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:${W + 40}px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px} .sub{color:#666;margin:0 0 16px}
svg{display:block;background:#fff} .frame{fill:none;stroke:#bbb} .grid{stroke:#eee}
.series{fill:none;stroke:#1f77b4;stroke-width:1} .score{fill:none;stroke:#555;stroke-width:1}
.window{fill:#f6c343;opacity:.28} .split{stroke:#444;stroke-dasharray:6 4} .thr{stroke:#d62728;stroke-dasharray:4 3}
.alarm.tp{fill:#2ca02c;stroke:#fff} .alarm.fp{fill:#d62728;stroke:#fff} .tick,.lbl{font-size:11px;fill:#555}
.cursor{stroke:#999} table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4} .legend span{margin-right:16px}
</style></head><body>
<h1>${esc(input.title)}</h1>
${input.subtitle ? `<p class="sub">${esc(input.subtitle)}</p>` : ''}
<p class="legend"><span style="color:#1f77b4">━ series</span><span style="color:#b8860b">▮ label windows</span><span>┆ train/test split</span><span style="color:#2ca02c">● alarm in a window</span><span style="color:#d62728">● false positive</span><span style="color:#d62728">┄ threshold</span></p>
<svg id="plot" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
${parts.join('\n')}
</svg>
${tables}
<script>
(function () {
  var m = ${meta};
  var svg = document.getElementById('plot');
  var cur = document.getElementById('cursor');
  var out = document.getElementById('readout');
  svg.addEventListener('mousemove', function (e) {
    var r = svg.getBoundingClientRect();
    var px = (e.clientX - r.left) * (${W} / r.width);
    if (px < m.padL || px > m.padL + m.plotW) { cur.setAttribute('visibility', 'hidden'); out.textContent = ''; return; }
    var t = m.t0 + (px - m.padL) / m.plotW * (m.t1 - m.t0);
    cur.setAttribute('x1', px); cur.setAttribute('x2', px); cur.setAttribute('visibility', 'visible');
    out.textContent = new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  });
  document.body.setAttribute('data-ready', '1');
})();
</script>
</body></html>
`;
}

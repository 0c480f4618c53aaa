import { SeriesError } from '../errors.js';
import { checkLabelWindows } from '../series/label-windows.js';
import { MAX_TIME_MS } from '../series/time.js';
import type { TimeSeries, Window } from '../series/types.js';
import { formatNumber } from './format.js';
import { uplotAssets } from './uplot.js';

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
  /** The tracked run this report belongs to, shown in the header. */
  readonly runId?: string;
  /** The detector configuration, shown (collapsed) under the header. */
  readonly config?: unknown;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside a <script> element: `<` escaped so no string can close the element. */
function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c');
}

function tableHtml(title: string, t: ReportTable): string {
  const head = t.headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td>${esc(typeof c === 'number' ? formatNumber(c) : c)}</td>`).join('')}</tr>`,
    )
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

/** A bad label window: the library's one window check, as a SeriesError `bad_window`. */
function badWindow(message: string): SeriesError {
  return new SeriesError('bad_window', message);
}

/**
 * The alarms checked (the library API takes them from users, possibly plain JavaScript): an array of
 * `{ t, score, window }` with a finite epoch-ms `t`, a numeric `score` and `window` null or the index
 * of one of the `windows` label windows; anything else is a SeriesError `bad_input` naming the alarm.
 */
function checkAlarms(alarms: unknown, windows: number): void {
  const how =
    'pass each alarm as { t: epoch ms, score: number, window: index of its label window or null for a false positive }';
  if (!Array.isArray(alarms))
    throw new SeriesError(
      'bad_input',
      `report alarms: expected an array of { t, score, window }, got ${shortJson(alarms)}; ${how}`,
    );
  for (let k = 0; k < alarms.length; k++) {
    const a: unknown = alarms[k];
    const o = a as Partial<Record<keyof ReportAlarm, unknown>> | null;
    if (
      o === null ||
      typeof o !== 'object' ||
      typeof o.t !== 'number' ||
      !(Math.abs(o.t) <= MAX_TIME_MS) ||
      typeof o.score !== 'number' ||
      !(o.window === null || typeof o.window === 'number')
    ) {
      throw new SeriesError(
        'bad_input',
        `report alarms[${k}]: expected { t, score, window } with t finite epoch ms within ±8.64e15, got ${shortJson(a)}; ${how}`,
      );
    }
    const w = o.window;
    if (w !== null && !(Number.isInteger(w) && w >= 0 && w < windows)) {
      throw new SeriesError(
        'bad_input',
        `report alarms[${k}]: window ${w} is not the index of one of the ${windows} label window(s) (0 to ${windows - 1}); ${how}`,
      );
    }
  }
}

/** A value as JSON for a message, cut to a line. */
function shortJson(x: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(x) ?? String(x);
  } catch {
    s = String(x);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Scores placed on the series' timestamps (NaN where a timestamp has no score: a gap). */
function alignScores(ts: TimeSeries, scores: TimeSeries): Float64Array {
  const out = new Float64Array(ts.t.length).fill(Number.NaN);
  let j = 0;
  for (let i = 0; i < ts.t.length && j < scores.t.length; i++) {
    while (j < scores.t.length && scores.t[j] < ts.t[i]) j++;
    if (j < scores.t.length && scores.t[j] === ts.t[i] && Number.isFinite(scores.v[j]))
      out[i] = Math.abs(scores.v[j]);
  }
  return out;
}

/** Whether typed arrays store little-endian bytes here (what the page decodes). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The series for the page: base64 of little-endian float64 bytes (NaN for a gap). Exact, and
 * written without formatting a decimal number per point (for tens of thousands of points, most of
 * the time a report took); the page decodes it back to numbers (null for NaN).
 */
function packSeries(x: ArrayLike<number>): string {
  const f = x instanceof Float64Array ? x : Float64Array.from(x);
  if (LITTLE_ENDIAN) return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
  const bytes = new Uint8Array(f.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < f.length; i++) view.setFloat64(i * 8, f[i], true);
  return Buffer.from(bytes.buffer).toString('base64');
}

/**
 * Renders a self-contained interactive HTML report: the series with label windows shaded, the
 * train/test split and the alarms marked, and the anomaly score in a second chart on the same time
 * axis. Drag across a chart to zoom into a time range, scroll to zoom at the pointer, Shift+drag or the
 * arrow buttons to pan, double-click or "reset" to see everything; hovering shows the time, value,
 * score and alarm verdict. The charts are drawn by uPlot (MIT), whose script and stylesheet are
 * inlined, so the file needs no network; it fills the window's width and redraws when it changes.
 * Input of the wrong shape is a `SeriesError` naming what to fix: `bad_window` for a label window that
 * is not `[start, end]` of finite epoch ms, `bad_input` for an alarm that is not `{ t, score, window }`.
 */
export function renderExperimentReport(input: ExperimentReportInput): string {
  const { series: ts, scores } = input;
  checkSeries('series', ts, false);
  checkSeries('scores', scores, true);
  // windows and alarms may come from plain JavaScript: a wrong shape is a typed error saying what to fix
  const windows = checkLabelWindows(input.windows, 'report windows', badWindow);
  checkAlarms(input.alarms, windows.length);
  const { js, css } = uplotAssets();
  const data = {
    t: packSeries(ts.t),
    v: packSeries(Float64Array.from(ts.v, (x) => (Number.isFinite(x) ? x : Number.NaN))),
    s: packSeries(alignScores(ts, scores)),
    windows: windows.map(([a, b]) => [a, b]),
    split: input.split ?? null,
    threshold: input.threshold ?? null,
    alarms: input.alarms.map((a) => ({ t: a.t, score: a.score, window: a.window })),
  };
  const tables = (input.tables ?? []).map((t) => tableHtml(t.title, t.table)).join('\n');
  const config =
    input.config === undefined
      ? ''
      : `<details><summary>configuration</summary><pre>${esc(JSON.stringify(input.config, null, 2))}</pre></details>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>${css}</style>
<style>
body{font:14px system-ui,sans-serif;margin:16px 24px;color:#222}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px} .sub,.run{color:#666;margin:0 0 8px}
.run code{color:#222} pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:320px;font-size:12px}
.bar{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;margin:8px 0}
.bar button{font:inherit;padding:2px 10px} .legend span{margin-right:12px;white-space:nowrap}
#readout{font-variant-numeric:tabular-nums;min-height:1.4em;color:#333}
.chart{width:100%} table{border-collapse:collapse;margin-bottom:8px} td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4} .u-legend{display:none}
</style></head><body>
<h1>${esc(input.title)}</h1>
${input.subtitle ? `<p class="sub">${esc(input.subtitle)}</p>` : ''}
${input.runId ? `<p class="run">run <code id="run-id">${esc(input.runId)}</code></p>` : ''}
${config}
<div class="bar"><span class="legend"><span style="color:#1f77b4">━ series</span><span style="color:#b8860b">▮ label windows</span><span>┆ train/test split</span><span style="color:#2ca02c">● alarm in a window</span><span style="color:#d62728">● false positive</span><span style="color:#d62728">┄ threshold</span></span>
<span><button id="pan-left" title="pan left">←</button> <button id="zoom-out" title="zoom out">−</button> <button id="zoom-in" title="zoom in">+</button> <button id="pan-right" title="pan right">→</button> <button id="reset">reset</button></span></div>
<div id="readout"></div>
<div id="series-chart" class="chart"></div>
<div id="score-chart" class="chart"></div>
${tables}
<script>${js}</script>
<script id="report-data" type="application/json">${scriptJson(data)}</script>
<script>
${CLIENT}
</script>
</body></html>
`;
}

/**
 * The page script (plain ES2017, runs in the browser). ASCII only (an en dash is written `\u2013`):
 * esbuild cannot escape a raw template, and the command line's bundle must be ASCII (scripts/build-cli.mjs).
 */
const CLIENT = String.raw`(function () {
  var D = JSON.parse(document.getElementById('report-data').textContent);
  // t, v and s come as base64 of little-endian float64s; NaN (a gap) becomes null for uPlot
  function unpack(b64) {
    var bin = atob(b64), n = bin.length >> 3, bytes = new Uint8Array(bin.length), out = new Array(n);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var view = new DataView(bytes.buffer);
    for (var k = 0; k < n; k++) { var x = view.getFloat64(8 * k, true); out[k] = x === x ? x : null; }
    return out;
  }
  D.t = unpack(D.t); D.v = unpack(D.v); D.s = unpack(D.s);
  var T0 = D.t[0], T1 = D.t[D.t.length - 1];
  var alarmAt = {};
  D.alarms.forEach(function (a) { alarmAt[a.t] = a; });
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function fmtTime(ms, withTime) {
    var d = new Date(ms);
    var s = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
    return withTime ? s + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) : s;
  }
  function num(x) {
    if (x === null || x === undefined) return '\u2013';
    var a = Math.abs(x);
    if (a !== 0 && (a < 1e-4 || a >= 1e9)) return x.toExponential(3);
    return String(Number(x.toPrecision(4)));
  }
  // axis ticks: uPlot picks round steps (1, 2, 5 x 10^k); show them without float noise
  function tickValues(u, splits) { return splits.map(function (v) { return num(v); }); }
  function timeTicks(u, splits) {
    var span = u.scales.x.max - u.scales.x.min;
    return splits.map(function (v) {
      if (span > 3 * 86400000) return fmtTime(v, false);
      var d = new Date(v);
      return span > 86400000 ? fmtTime(v, true).slice(5) : pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
    });
  }
  function px(u, t) { return u.valToPos(t, 'x', true); }
  function overlay(u, isScore) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, dpr = devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath(); ctx.rect(u.bbox.left, top, u.bbox.width, h); ctx.clip();
    ctx.fillStyle = 'rgba(246,195,67,0.28)';
    D.windows.forEach(function (w) { var a = px(u, w[0]), b = px(u, w[1]); ctx.fillRect(a, top, Math.max(dpr, b - a), h); });
    if (D.split !== null) {
      ctx.strokeStyle = '#444'; ctx.setLineDash([6 * dpr, 4 * dpr]); ctx.lineWidth = dpr;
      ctx.beginPath(); ctx.moveTo(px(u, D.split), top); ctx.lineTo(px(u, D.split), top + h); ctx.stroke();
    }
    if (isScore && D.threshold !== null) {
      var y = u.valToPos(D.threshold, 'y', true);
      ctx.strokeStyle = '#d62728'; ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke();
    }
    ctx.setLineDash([]);
    D.alarms.forEach(function (a) {
      var i = lowerBound(a.t);
      var v = isScore ? a.score : D.v[Math.min(i, D.v.length - 1)];
      if (v === null) return;
      ctx.fillStyle = a.window === null ? '#d62728' : '#2ca02c'; ctx.strokeStyle = '#fff'; ctx.lineWidth = dpr;
      ctx.beginPath(); ctx.arc(px(u, a.t), u.valToPos(Math.abs(v), 'y', true) , (isScore ? 4 : 6) * dpr, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    });
    ctx.restore();
  }
  function lowerBound(t) { var lo = 0, hi = D.t.length; while (lo < hi) { var m = (lo + hi) >> 1; if (D.t[m] < t) lo = m + 1; else hi = m; } return lo; }
  var readout = document.getElementById('readout');
  function showAt(idx) {
    if (idx === null || idx === undefined) { readout.textContent = ''; return; }
    var t = D.t[idx], a = alarmAt[t];
    var verdict = a ? (a.window === null ? 'ALARM: false positive' : 'ALARM in label window ' + (a.window + 1)) : (D.s[idx] === null ? 'not scored (training data)' : 'no alarm');
    readout.textContent = fmtTime(t, true) + ' UTC   value ' + num(D.v[idx]) + '   score ' + num(D.s[idx]) + '   ' + verdict;
  }
  var syncing = false;
  function width() { return Math.max(320, document.getElementById('series-chart').clientWidth); }
  function opts(isScore, height) {
    return {
      width: width(), height: height, ms: 1, legend: { show: false },
      cursor: { sync: { key: 'tsad', setSeries: false }, drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true }, y: isScore ? { range: function (u, lo, hi) { return [0, Math.max(hi, D.threshold || 0) * 1.05 || 1]; } } : {} },
      axes: [
        { values: timeTicks, size: isScore ? 40 : 30 },
        { values: tickValues, size: 64, label: isScore ? 'anomaly score' : 'value' },
      ],
      series: [{}, isScore ? { stroke: '#555', width: 1, spanGaps: false } : { stroke: '#1f77b4', width: 1 }],
      hooks: {
        draw: [function (u) { overlay(u, isScore); }],
        setCursor: [function (u) { if (!isScore) showAt(u.cursor.idx); }],
        setScale: [function (u, key) {
          if (key !== 'x' || syncing) return;
          syncing = true;
          var other = u === top ? bottom : top;
          if (other) other.setScale('x', { min: u.scales.x.min, max: u.scales.x.max });
          syncing = false;
          document.body.setAttribute('data-range', Math.round(u.scales.x.min) + ',' + Math.round(u.scales.x.max));
        }],
      },
    };
  }
  var top = null, bottom = null;
  top = new uPlot(opts(false, 320), [D.t, D.v], document.getElementById('series-chart'));
  bottom = new uPlot(opts(true, 170), [D.t, D.s], document.getElementById('score-chart'));
  function range() { return [top.scales.x.min, top.scales.x.max]; }
  function setRange(a, b) {
    var span = b - a, full = T1 - T0;
    if (span > full) { a = T0; b = T1; }
    if (a < T0) { b += T0 - a; a = T0; }
    if (b > T1) { a -= b - T1; b = T1; }
    top.setScale('x', { min: a, max: b });
  }
  function zoom(f, at) { var r = range(), c = at === undefined ? (r[0] + r[1]) / 2 : at; setRange(c - (c - r[0]) * f, c + (r[1] - c) * f); }
  function pan(f) { var r = range(), d = (r[1] - r[0]) * f; setRange(r[0] + d, r[1] + d); }
  document.getElementById('zoom-in').onclick = function () { zoom(0.5); };
  document.getElementById('zoom-out').onclick = function () { zoom(2); };
  document.getElementById('pan-left').onclick = function () { pan(-0.25); };
  document.getElementById('pan-right').onclick = function () { pan(0.25); };
  document.getElementById('reset').onclick = function () { setRange(T0, T1); };
  [top, bottom].forEach(function (u) {
    u.over.addEventListener('wheel', function (e) {
      e.preventDefault();
      zoom(e.deltaY < 0 ? 0.8 : 1.25, u.posToVal(e.offsetX, 'x'));
    }, { passive: false });
    u.over.addEventListener('dblclick', function () { setRange(T0, T1); });
    var panFrom = null;
    u.over.addEventListener('mousedown', function (e) { if (e.shiftKey) { panFrom = { x: e.clientX, r: range() }; e.stopPropagation(); } }, true);
    window.addEventListener('mousemove', function (e) {
      if (!panFrom) return;
      var d = (e.clientX - panFrom.x) / u.bbox.width * (devicePixelRatio || 1) * (panFrom.r[1] - panFrom.r[0]);
      setRange(panFrom.r[0] - d, panFrom.r[1] - d);
    });
    window.addEventListener('mouseup', function () { panFrom = null; });
  });
  window.addEventListener('resize', function () { top.setSize({ width: width(), height: 320 }); bottom.setSize({ width: width(), height: 170 }); });
  window.tsadReport = { range: range, setRange: setRange, zoom: zoom, pan: pan };
  document.body.setAttribute('data-range', T0 + ',' + T1);
  document.body.setAttribute('data-ready', '1');
})();`;

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { SeriesError } from '../../src/errors.js';
import { renderExperimentReport } from '../../src/report/html.js';
import { CHROMIUM_ARGS, ensureChromium } from '../helpers/chromium.js';

function demo() {
  const n = 2000;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  const t0 = Date.UTC(2014, 0, 1);
  for (let i = 0; i < n; i++) {
    t[i] = t0 + i * 300_000;
    v[i] = Math.sin(i / 40) + (i === 1500 ? 6 : 0);
  }
  const split = t[1000];
  const st = t.slice(1000);
  const sv = Float64Array.from(v.slice(1000), (x, i) => (i === 500 ? 5 : Math.abs(x) / 3));
  return renderExperimentReport({
    title: 'demo <report> & "escaping"',
    series: { t, v },
    windows: [
      [t[1490], t[1510]],
      [t[300], t[320]],
    ],
    split,
    scores: { t: st, v: sv },
    threshold: 3,
    alarms: [
      { t: t[1500], score: 5, window: 0 },
      { t: t[1800], score: 3.5, window: null },
    ],
    tables: [{ title: 'Metrics', table: { headers: ['P', 'R'], rows: [[1, 0.5]] } }],
  });
}

describe('HTML experiment report', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('is self-contained: no external resources', () => {
    const html = demo();
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(html).toContain('&#60;report&#62;');
  });

  it('loads in headless Chromium without console errors and draws the plot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsad-report-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'report.html');
    writeFileSync(file, demo());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-ready="1"]');
    // A string, so this file needs no DOM type library; it runs in the page.
    const drawn = (await page.evaluate(`(() => {
      const box = (id) => {
        const el = document.getElementById(id);
        const b = el.getBBox();
        return { w: b.width, h: b.height, d: (el.getAttribute('d') || '').length };
      };
      return {
        series: box('series-line'),
        score: box('score-line'),
        windows: document.querySelectorAll('rect.window').length,
        tp: document.querySelectorAll('circle.alarm.tp').length,
        fp: document.querySelectorAll('circle.alarm.fp').length,
        split: document.querySelectorAll('line.split').length,
      };
    })()`)) as {
      series: { w: number; h: number; d: number };
      score: { w: number; h: number; d: number };
      windows: number;
      tp: number;
      fp: number;
      split: number;
    };
    await page.mouse.move(600, 200);
    const readout = await page.textContent('#readout');
    await page.close();
    expect(errors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
    expect(drawn.series.w).toBeGreaterThan(1000);
    expect(drawn.series.h).toBeGreaterThan(100);
    expect(drawn.score.w).toBeGreaterThan(400);
    expect(drawn.windows).toBe(2);
    expect(drawn.tp).toBe(2); // one marker per panel
    expect(drawn.fp).toBe(2);
    expect(drawn.split).toBe(1);
    expect(readout).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
  }, 60_000);
});

describe('HTML experiment report input', () => {
  it('an empty or malformed series is a SeriesError, not a page of NaN coordinates', () => {
    const empty = { t: new Float64Array(0), v: new Float64Array(0) };
    const base = { title: 'x', windows: [], alarms: [], scores: empty };
    expect(() => renderExperimentReport({ ...base, series: empty })).toThrow(SeriesError);
    expect(() =>
      renderExperimentReport({ ...base, series: { t: Float64Array.of(1, 2), v: Float64Array.of(1) } }),
    ).toThrow(/report series: expected a TimeSeries/);
  });
  it('a timestamp a Date cannot hold is a SeriesError naming the row, not a RangeError or an endless axis', () => {
    const empty = { t: new Float64Array(0), v: new Float64Array(0) };
    const base = { title: 'x', windows: [], alarms: [], scores: empty };
    for (const bad of [9e15, Number.POSITIVE_INFINITY]) {
      const series = { t: Float64Array.of(0, 60_000, bad), v: Float64Array.of(1, 2, 3) };
      expect(() => renderExperimentReport({ ...base, series })).toThrow(SeriesError);
      expect(() => renderExperimentReport({ ...base, series })).toThrow(`row 2: timestamp ${bad}`);
    }
  });
});

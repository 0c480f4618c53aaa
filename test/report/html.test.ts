import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SeriesError } from '../../src/index.js';
import { renderExperimentReport } from '../../src/report/index.js';
import { launchedChromium, openRecordedPage } from '../helpers/chromium.js';
import { thrownBy } from '../helpers/thrown.js';

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
  const browser = launchedChromium();

  it('is self-contained: no external resources', () => {
    const html = demo();
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(html).toContain('&#60;report&#62;');
  });

  it('loads in headless Chromium without console errors; zoom changes the visible range; hover shows the values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsad-report-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'report.html');
    writeFileSync(file, demo());
    const { page, errors, requests } = await openRecordedPage(browser(), file, { width: 1200, height: 900 });
    await page.waitForSelector('body[data-ready="1"]');
    const range = async () => ((await page.getAttribute('body', 'data-range')) ?? '').split(',').map(Number);
    const [a0, b0] = await range();
    expect(a0).toBe(Date.UTC(2014, 0, 1));
    expect(b0).toBe(Date.UTC(2014, 0, 1) + 1999 * 300_000);

    // zoom: drag across the top chart selects a time range; both charts follow
    const box = (await page.locator('#series-chart .u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const [a1, b1] = await range();
    expect(b1 - a1).toBeLessThan((b0 - a0) * 0.3);
    expect(a1).toBeGreaterThan(a0);
    const bottomRange = (await page.evaluate(
      '(() => { const r = window.tsadReport.range(); return r; })()',
    )) as number[];
    expect(bottomRange.map(Math.round)).toEqual([a1, b1]);
    // the zoom-in button halves the span; reset shows everything again
    await page.click('#zoom-in');
    const [a2, b2] = await range();
    expect(b2 - a2).toBeCloseTo((b1 - a1) / 2, -3);
    await page.click('#reset');
    expect(await range()).toEqual([a0, b0]);

    // hover at the spike (the alarm in window 1): time, value, score and verdict
    const alarmT = Date.UTC(2014, 0, 1) + 1500 * 300_000;
    await page.evaluate(`window.tsadReport.setRange(${alarmT - 3_600_000}, ${alarmT + 3_600_000})`);
    const x = box.x + box.width * 0.5;
    await page.mouse.move(x, box.y + box.height / 2);
    const readout = (await page.textContent('#readout')) ?? '';
    expect(readout).toMatch(/^2014-01-06 05:00 UTC {3}value 5.802 {3}score 5 {3}ALARM in label window 1$/);
    await page.close();
    expect(errors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
  }, 60_000);

  it.each([800, 1600])(
    'fills a %i px wide window (screenshot)',
    async (width) => {
      const dir = mkdtempSync(join(tmpdir(), 'tsad-report-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'report.html');
      writeFileSync(file, demo());
      const page = await browser().newPage({ viewport: { width, height: 900 } });
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-ready="1"]');
      const chart = (await page.locator('#series-chart canvas').boundingBox())!;
      const scroll = (await page.evaluate('document.documentElement.scrollWidth')) as number;
      const shot = await page.screenshot({ path: join(dir, `report-${width}.png`), fullPage: true });
      await page.close();
      expect(scroll).toBeLessThanOrEqual(width); // nothing clipped or scrolled sideways
      expect(chart.width).toBeGreaterThan(width - 80);
      expect(chart.width).toBeLessThanOrEqual(width);
      expect(shot.length).toBeGreaterThan(10_000); // a PNG with a chart in it, not a blank page
    },
    60_000,
  );

  it('shows the run id, the config, rounded table numbers', () => {
    const html = renderExperimentReport({
      title: 't',
      series: { t: Float64Array.of(0, 60_000), v: Float64Array.of(1, 2) },
      scores: { t: Float64Array.of(60_000), v: Float64Array.of(0.5) },
      windows: [],
      alarms: [],
      runId: 'abc123',
      config: { threshold: { minAlmInWindow: 2 } },
      tables: [{ title: 'm', table: { headers: ['x'], rows: [[113.8123456], [-3.2371111]] } }],
    });
    expect(html).toContain('<code id="run-id">abc123</code>');
    expect(html).toContain('&#34;minAlmInWindow&#34;: 2');
    expect(html).toContain('<td>113.8</td>');
    expect(html).toContain('<td>-3.237</td>');
  });
});

describe('HTML experiment report input', () => {
  it('carries the series and scores exactly (packed float64s; gaps where a value is not finite or unscored)', () => {
    const t = Float64Array.from([0, 1, 2, 3, 4], (i) => Date.UTC(2014, 0, 1) + i * 300_000);
    const v = Float64Array.from([0.1 + 0.2, Number.NaN, -0, 1e300, 5e-324]);
    const html = renderExperimentReport({
      title: 'exact',
      series: { t, v },
      windows: [],
      scores: { t: t.slice(2), v: Float64Array.from([-2.5, Number.POSITIVE_INFINITY, 1 / 3]) },
      alarms: [],
    });
    const json = /<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html)?.[1];
    const data = JSON.parse(json ?? 'null') as { t: string; v: string; s: string };
    // what the page's decoder reads: little-endian float64s, NaN shown as a gap
    const decode = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      return Array.from({ length: b.length / 8 }, (_, k) => b.readDoubleLE(8 * k));
    };
    expect(decode(data.t)).toEqual(Array.from(t));
    const dv = decode(data.v);
    expect(dv.map((x) => Object.is(x, Number.NaN) || Number.isNaN(x))).toEqual([
      false,
      true,
      false,
      false,
      false,
    ]);
    expect(Object.is(dv[2], -0)).toBe(true);
    expect([dv[0], dv[3], dv[4]]).toEqual([0.1 + 0.2, 1e300, 5e-324]);
    const ds = decode(data.s);
    expect(ds.slice(0, 2).every(Number.isNaN)).toBe(true); // training part: not scored
    expect(ds[2]).toBe(2.5); // absolute scores
    expect(Number.isNaN(ds[3])).toBe(true); // not finite: a gap
    expect(ds[4]).toBe(1 / 3);
  });

  it('an empty or malformed series is a SeriesError, not a page of NaN coordinates', () => {
    const empty = { t: new Float64Array(0), v: new Float64Array(0) };
    const base = { title: 'x', windows: [], alarms: [], scores: empty };
    expect(() => renderExperimentReport({ ...base, series: empty })).toThrow(SeriesError);
    expect(() =>
      renderExperimentReport({ ...base, series: { t: Float64Array.of(1, 2), v: Float64Array.of(1) } }),
    ).toThrow(/report series: expected a TimeSeries/);
  });
  it('label windows or alarms of the wrong shape (plain JavaScript objects) are a SeriesError naming the one to fix, not a raw TypeError', () => {
    const series = { t: Float64Array.of(0, 60_000, 120_000), v: Float64Array.of(1, 2, 3) };
    const base = { title: 'x', series, scores: series, windows: [[0, 60_000]], alarms: [] } as const;
    const cases: [unknown, RegExp][] = [
      [undefined, /report windows: expected an array of \[start, end\] windows, got undefined/],
      [[{ start: 0, end: 60_000 }], /report windows\[0\]: expected \[start, end\].*an object \{"start":0/],
      [[[0, 60_000], null], /report windows\[1\]: expected \[start, end\] of finite epoch ms, got null/],
      [[['2024-01-01', '2024-01-02']], /report windows\[0\]: expected \[start, end\] of finite epoch ms/],
      [[[60_000, 0]], /report windows\[0\]: its end .* is before its start/],
    ];
    for (const [windows, want] of cases) {
      const run = () => renderExperimentReport({ ...base, windows: windows as never });
      expect(run, String(want)).toThrow(SeriesError);
      expect(run, String(want)).toThrow(want);
      expect(run, String(want)).toThrow(/pass each window as \[start, end\] in epoch ms/);
      expect(thrownBy(SeriesError, run).code).toBe('bad_window');
    }
    const alarms: [unknown, RegExp][] = [
      [undefined, /report alarms: expected an array of \{ t, score, window \}/],
      [[null], /report alarms\[0\]: expected \{ t, score, window \}.*got null/],
      [[{ t: '60000', score: 1, window: null }], /report alarms\[0\]: expected \{ t, score, window \}/],
      [
        [{ t: 60_000, score: 1, window: 1 }],
        /report alarms\[0\]: window 1 is not the index of one of the 1 label window/,
      ],
    ];
    for (const [bad, want] of alarms) {
      const run = () => renderExperimentReport({ ...base, alarms: bad as never });
      expect(run, String(want)).toThrow(want);
      expect(thrownBy(SeriesError, run).code).toBe('bad_input');
    }
    // the good shapes still render
    expect(
      renderExperimentReport({
        ...base,
        alarms: [
          { t: 60_000, score: 1, window: 0 },
          { t: 0, score: 2, window: null },
        ],
      }),
    ).toMatch(/^<!doctype html>/);
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

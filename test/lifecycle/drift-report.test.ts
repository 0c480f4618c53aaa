/** The drift report (`tsad monitor`'s nab-drift.html) in real headless Chromium: five plots drawn, no errors. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { nabDriftSurvey, renderNabDriftReport } from '../../src/lifecycle/index.js';
import { launchedChromium, openRecordedPage } from '../helpers/chromium.js';

/** The part of a canvas element the pixel count uses (the test runs without the DOM types). */
interface Canvas {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

const FILES = [
  'realAWSCloudwatch/rds_cpu_utilization_e47b3b.csv',
  'realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv',
  'realAWSCloudwatch/ec2_network_in_257a54.csv',
  'realAWSCloudwatch/ec2_cpu_utilization_ac20cd.csv',
  'realTraffic/speed_7578.csv',
  'artificialNoAnomaly/art_daily_no_noise.csv',
];

describe('NAB drift report in Chromium', () => {
  const browser = launchedChromium();

  it('draws the five largest drifts (series and PSI charts) with no console errors or requests', async () => {
    const survey = await nabDriftSurvey({ files: FILES, top: 5 });
    expect(survey.largest).toHaveLength(5);
    const flat = survey.files.find((f) => f.file === 'artificialNoAnomaly/art_daily_no_noise.csv');
    // the flat file has the smallest PSI, so it is the one left out of the plots
    expect(survey.largest.map((l) => l.file.file)).not.toContain(flat?.file);

    const dir = mkdtempSync(join(tmpdir(), 'tsad-drift-report-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'nab-drift.html');
    writeFileSync(file, renderNabDriftReport(survey));
    const { page, errors, requests } = await openRecordedPage(browser(), file, { width: 1300, height: 900 });

    const frames = page.locator('iframe');
    await expect.poll(() => frames.count()).toBe(5);
    const headings = await page.locator('h2').allTextContents();
    expect(headings.slice(0, 5)).toEqual(
      survey.largest.map((l) => `${l.file.file}: max PSI ${l.file.maxPsi.toFixed(2)}`),
    );
    for (let k = 0; k < 5; k++) {
      const frame = page.frameLocator('iframe').nth(k);
      await frame.locator('body[data-ready="1"]').waitFor();
      // both charts (series on top, PSI per window below) have a canvas with drawn pixels
      for (const chart of ['#series-chart', '#score-chart']) {
        const painted = await frame
          .locator(`${chart} canvas`)
          .first()
          .evaluate((el) => {
            const c = el as unknown as Canvas;
            const ctx = c.getContext('2d');
            if (!ctx || c.width === 0 || c.height === 0) return 0;
            const px = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) n++;
            return n;
          });
        expect(painted, `${survey.largest[k].file.file} ${chart}`).toBeGreaterThan(1000);
      }
      // the plotted range is the file's whole span
      const range = (await frame.locator('body').getAttribute('data-range'))?.split(',').map(Number);
      const s = survey.largest[k].series;
      expect(range).toEqual([s.t[0], s.t[s.t.length - 1]]);
    }
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('about:'))).toEqual([]);
    await page.close();
  }, 120_000);
});

/**
 * The charting library of the HTML report: uPlot (MIT, ~50 kB minified, canvas, built for time
 * series of many points). Chosen over the hand-drawn SVG because it brings zoom by drag selection,
 * synced cursors across charts, round tick steps and fast redraws of 20,000+ points, which a
 * hand-written SVG page would have to reimplement. Its script and stylesheet are read from the
 * installed package and inlined, so a report is one file with no network access.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let cached: { js: string; css: string } | undefined;

export function uplotAssets(): { js: string; css: string } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  // nothing in an inlined script may close its <script> element
  cached = { js: js.replace(/<\/script/gi, '<\\/script'), css };
  return cached;
}

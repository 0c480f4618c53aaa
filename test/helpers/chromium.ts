import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * Finds a Chromium binary (`TSAD_CHROMIUM`, else Debian's). `.ci/run` installs Debian's `chromium`;
 * a test never installs it itself. Throws with the command to run when none is there.
 */
export function ensureChromium(): string {
  const found = process.env.TSAD_CHROMIUM ?? CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  throw new Error('no Chromium found: run `apt-get install chromium` (as .ci/run does) or set TSAD_CHROMIUM');
}

/** Flags for headless Chromium on a machine without network or GPU. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Opens `file` in a new page of `browser`, recording console errors, page errors and every request
 * the page makes (a self-contained report makes none besides its own file).
 */
export async function openRecordedPage(
  browser: Browser,
  file: string,
  viewport: { width: number; height: number },
): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  return { page, errors, requests };
}

/**
 * One headless Chromium for the calling `describe` block: launched before its tests, closed after.
 * Returns a getter (the browser exists only once `beforeAll` has run).
 */
export function launchedChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium is not launched yet: call the getter inside a test');
    return browser;
  };
}

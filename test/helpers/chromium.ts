import { existsSync } from 'node:fs';

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

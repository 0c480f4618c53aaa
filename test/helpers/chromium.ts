import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * Finds a Chromium binary; installs Debian's `chromium` package when none is there (CI machines start
 * without one). Throws when it can neither find nor install one, so the browser test fails loudly.
 */
export function ensureChromium(): string {
  const found = process.env.TSAD_CHROMIUM ?? CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
  const after = CANDIDATES.find((p) => existsSync(p));
  if (!after) throw new Error('chromium is not installed and apt-get install chromium did not provide it');
  return after;
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

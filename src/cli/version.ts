/** The package version for `tsad --version`, read from the nearest package.json named `tsad` (no other imports). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      const j = JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown; version?: unknown };
      if (j.name === 'tsad' && typeof j.version === 'string') return j.version;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

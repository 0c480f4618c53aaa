/**
 * The build's ASCII step (scripts/ascii-bundle.mjs, used by scripts/build-cli.mjs): non-ASCII characters
 * in comments become escapes; one that is code (a `String.raw` template, which esbuild leaves as it is)
 * fails the build with its place.
 */

import { isAscii } from 'node:buffer';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

type AsciiBundle = (code: string, name: string) => Promise<string>;
const script = pathToFileURL(join(import.meta.dirname, '..', '..', 'scripts', 'ascii-bundle.mjs')).href;
const load = async () => ((await import(script)) as { asciiBundle: AsciiBundle }).asciiBundle;

describe('the bundle in ASCII', () => {
  it('escapes the characters in comments only, leaving an ASCII bundle', async () => {
    const asciiBundle = await load();
    const code = 'const a = "\\u2013"; // an en dash – here\n/* ✓ 😀 */ const b = a + "x";\n';
    const out = await asciiBundle(code, 'test');
    expect(isAscii(Buffer.from(out, 'utf8'))).toBe(true);
    expect(out).toContain('// an en dash \\u2013 here');
    expect(await asciiBundle('const a = 1;\n', 'test')).toBe('const a = 1;\n');
  });

  it('fails loudly on a non-ASCII character in code, with its line, column and text', async () => {
    const asciiBundle = await load();
    const code = '// fine: é\nconst ok = 1;\nconst s = String.raw`a – b`; // ✓\n';
    await expect(asciiBundle(code, 'build-cli: cli.cjs')).rejects.toThrow(
      /^build-cli: cli\.cjs: non-ASCII character \\u2013 outside a comment at line 3, column 24 .*String\.raw`a – b`/,
    );
  });
});

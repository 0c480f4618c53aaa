/**
 * The command line's bundle in ASCII (scripts/build-cli.mjs; the bin reads it as latin1, a one-byte
 * string: src/cli/code-cache.ts). esbuild already writes the non-ASCII characters of strings, templates,
 * regular expressions and names as escapes (its default `charset: 'ascii'`); those left are in comments,
 * where \uXXXX stands for them. Checked: minified (comments dropped), the code is the same before and
 * after. A non-ASCII character that is code (a `String.raw` template, which esbuild cannot escape) fails
 * the build with its line, column and text, found by bisecting over the characters.
 */
import { transform } from 'esbuild';

const escape = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `code` with its first `k` non-ASCII UTF-16 units (at `at`) escaped. */
function escapeFirst(code, at, k) {
  let out = '';
  let from = 0;
  for (let i = 0; i < k; i++) {
    out += code.slice(from, at[i]) + escape(code[at[i]]);
    from = at[i] + 1;
  }
  return out + code.slice(from);
}

/** `code` in ASCII; throws (naming `name` and the place) when a non-ASCII character is not in a comment. */
export async function asciiBundle(code, name) {
  const at = [];
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) > 0x7f) at.push(i);
  if (at.length === 0) return code;
  const minified = async (js) => (await transform(js, { minify: true, legalComments: 'none', logLevel: 'error' })).code;
  const want = await minified(code);
  const ascii = escapeFirst(code, at, at.length);
  if ((await minified(ascii)) === want) return ascii;
  // the smallest k whose escaped prefix changes the code: the k-th character is code, not a comment
  let lo = 1;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((await minified(escapeFirst(code, at, mid))) !== want) hi = mid;
    else lo = mid + 1;
  }
  const p = at[lo - 1];
  const line = code.slice(0, p).split('\n').length;
  const col = p - code.lastIndexOf('\n', p - 1);
  const near = code.slice(Math.max(0, p - 40), p + 40).replace(/\s+/g, ' ');
  throw new Error(
    `${name}: non-ASCII character ${escape(code[p])} outside a comment at line ${line}, column ${col} (…${near}…); esbuild cannot escape it there (a String.raw template?): write it as an escape in the source`,
  );
}

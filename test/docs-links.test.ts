/**
 * The docs' relative links resolve: every `[text](path)` and `[text](path#anchor)` of README.md,
 * datasets/README.md and docs/*.md names a file of the repository, and an anchor names a heading of the
 * target file (GitHub's rule: lower case, punctuation dropped, spaces as hyphens, `-1`, `-2`, … for
 * repeats). Links inside code blocks and code spans are not links. External links (`https:`, …) are not
 * checked. The minimums table of docs/detectors.md is checked against `minTrainPoints()`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DETECTOR_RECIPES } from '../src/internal.js';

const root = join(import.meta.dirname, '..');

/** Markdown text without fenced code blocks and without the contents of code spans. */
function prose(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** The anchors GitHub gives the headings of a Markdown text. */
function anchorsOf(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of text.matchAll(/^#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$/gm)) {
    const slug = m[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  for (const m of text.matchAll(/<a (?:name|id)="([^"]+)"/g)) out.add(m[1]);
  return out;
}

/**
 * The broken relative links of `files` (repository paths), reading files with `read` and checking
 * existence with `exists`: one line per broken link.
 */
function brokenLinks(
  files: string[],
  read: (path: string) => string,
  exists: (path: string) => boolean,
): string[] {
  const bad: string[] = [];
  const anchors = new Map<string, Set<string>>();
  for (const file of files) {
    for (const m of prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
      const [path, anchor] = link.split('#', 2);
      const target = path ? normalize(join(dirname(file), decodeURIComponent(path))) : file;
      if (!exists(target)) {
        bad.push(`${file}: ${link}: no file ${target}`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (!target.endsWith('.md')) {
        bad.push(`${file}: ${link}: an anchor into a file that is not Markdown`);
        continue;
      }
      if (!anchors.has(target)) anchors.set(target, anchorsOf(read(target)));
      if (!anchors.get(target)?.has(anchor)) bad.push(`${file}: ${link}: no heading #${anchor} in ${target}`);
    }
  }
  return bad;
}

describe('docs links', () => {
  it('the checker finds a missing file, a missing anchor and skips code', () => {
    const fake: Record<string, string> = {
      'README.md': [
        '# Top',
        'See [a](docs/a.md#the-heading), [b](docs/missing.md), [c](docs/a.md#nope), [d](#top),',
        '[e](https://example.com/x), `[f](docs/nothing.md)`.',
        '```md',
        '[g](docs/nothing-either.md)',
        '```',
      ].join('\n'),
      'docs/a.md':
        '# The heading\n\n## `code`: and (punctuation)\n\n[back](../README.md#top), [h](#code-and-punctuation)\n',
    };
    const bad = brokenLinks(
      Object.keys(fake),
      (p) => fake[p],
      (p) => p in fake,
    );
    expect(bad).toEqual([
      'README.md: docs/missing.md: no file docs/missing.md',
      'README.md: docs/a.md#nope: no heading #nope in docs/a.md',
    ]);
    expect(anchorsOf('# A\n# A\n')).toEqual(new Set(['a', 'a-1']));
  });

  it('every relative link and anchor of README.md and docs/ resolves', () => {
    const files = [
      'README.md',
      'datasets/README.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    const bad = brokenLinks(
      files,
      (p) => readFileSync(join(root, p), 'utf8'),
      (p) => existsSync(join(root, p)),
    );
    expect(bad).toEqual([]);
  });

  it("docs/detectors.md's minimums table gives each recipe's minTrainPoints()", () => {
    const doc = readFileSync(join(root, 'docs', 'detectors.md'), 'utf8');
    const table =
      /## Training minimums\n[\s\S]*?\n\| recipe \| minimum \| set by \|\n\|[-|: ]+\|\n((?:\|.*\|\n)+)/.exec(
        doc,
      )?.[1];
    expect(table).toBeDefined();
    let rows = 0;
    for (const line of (table ?? '').trim().split('\n')) {
      const [names, minimum] = line.split('|').slice(1, 3);
      for (const m of names.matchAll(/`([A-Za-z0-9]+)`/g)) {
        const det = DETECTOR_RECIPES[m[1]]?.({ seed: 0 }) as unknown as
          | { minTrainPoints(): { points: number } }
          | undefined;
        expect(det, m[1]).toBeDefined();
        expect(det?.minTrainPoints().points, m[1]).toBe(Number(minimum.trim()));
        rows++;
      }
    }
    expect(rows).toBeGreaterThanOrEqual(10);
  });
});

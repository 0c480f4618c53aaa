/**
 * `bench/locate-cv.ts` reads the per-corpus counts of discord-diag replays: a replay with more summary
 * lines (combinations) than a corpus line has counts is refused with the file and the line, where the
 * count was once read as `undefined` and every total printed as NaN.
 */
import { describe, expect, it } from 'vitest';
import { readReplay } from '../../bench/locate-cv.js';

const good = [
  'ucr1  37/42  35/42',
  'ucr2  40/42  41/42',
  'default  77/84 91.7 %',
  'a!b  76/84 90.5 %',
  '',
].join('\n');

describe('locate-cv: reading a replay', () => {
  it('one count per corpus for each summary line, in order', () => {
    const rows = new Map<string, Map<string, number>>();
    readReplay(good, 'good.txt', rows);
    expect(rows).toEqual(
      new Map([
        [
          'default',
          new Map([
            ['ucr1', 37],
            ['ucr2', 40],
          ]),
        ],
        [
          'a!b',
          new Map([
            ['ucr1', 35],
            ['ucr2', 41],
          ]),
        ],
      ]),
    );
  });

  it('a summary line beyond the counts of a corpus line: an error naming the file, the line and the corpus', () => {
    const text = [
      '== PROM_BIAS=1.25',
      'ucr1  37/42  35/42',
      'ucr2  40/42',
      'default  77/84 91.7 %',
      'other  75/84 89.3 %',
    ].join('\n');
    const rows = new Map<string, Map<string, number>>();
    expect(() => readReplay(text, 'replay.txt', rows)).toThrow(
      /replay\.txt:5: summary line 2 \("other"\) has no count in corpus line 3 \("ucr2", 1 count\)/,
    );
  });
});

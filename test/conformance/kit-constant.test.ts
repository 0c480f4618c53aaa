/**
 * The kit's constant-input clause: a detector may refuse constant training data only as a refusal of the
 * data (`DetectorError` `tiny_scale`, as ETS does, or `too_few_points`), not with any other typed error.
 */
import { describe, expect, it } from 'vitest';
import { DetectorError, ModelFormatError, ZmsDetector } from '../../src/index.js';
import { checkDetector } from '../../src/testing/index.js';

/** A ZMS detector whose train() throws `error` on constant data. */
function refusing(error: () => Error) {
  return () => {
    const d = new ZmsDetector({ seed: 0 });
    const train = d.train.bind(d);
    d.train = (ts, opts) => {
      const v = 'v' in ts ? ts.v : [];
      if (v.length > 0 && Array.from(v).every((x) => x === v[0])) throw error();
      return train(ts, opts);
    };
    return d;
  };
}

const constantClause = (make: () => ZmsDetector) => {
  const c = checkDetector({ name: 'refusing', make }).find((k) => k.name.startsWith('constant input'));
  if (!c) throw new Error('no constant-input clause');
  return c;
};

describe('conformance kit: constant input', () => {
  it('accepts a refusal of the data (tiny_scale)', () => {
    expect(() =>
      constantClause(refusing(() => new DetectorError('tiny_scale', 'no scale'))).run(),
    ).not.toThrow();
  });

  it('fails a detector that throws another typed error on constant data', () => {
    expect(() =>
      constantClause(refusing(() => new ModelFormatError('bad_field', 'unrelated failure'))).run(),
    ).toThrow(/unrelated failure/);
    expect(() =>
      constantClause(refusing(() => new DetectorError('not_implemented', 'unrelated failure'))).run(),
    ).toThrow(/unrelated failure/);
  });
});

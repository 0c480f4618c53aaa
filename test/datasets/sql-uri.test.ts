/** Database URIs in messages: a URI that does not parse is named with its credentials redacted. */
import { describe, expect, it } from 'vitest';
import { readSql } from '../../src/lifecycle/index.js';

describe('readSql and a bad database URI', () => {
  it.each([
    'postgres://alice:s3cret@[::1:5432/db', // an IPv6 typo: URL refuses it
    'postgres://alice:s3cret@host:99999/db', // port out of range
  ])('%s: bad_uri, and the message never shows the password', async (uri) => {
    const err = await readSql(uri, { table: 't' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'bad_uri' });
    expect(String((err as Error).message)).not.toContain('s3cret');
    expect(String((err as Error).message)).toContain('alice:***@');
  });
});

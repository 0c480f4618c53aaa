/**
 * Credentials never appear in `tracker.uri`, error messages, `cause` chains or what
 * `console.error(err)` prints, whatever the URI's shape: userinfo, `?password=` / `?token=`
 * parameters, and URIs that do not parse (port out of range, an unclosed IPv6 bracket).
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMlflowTracker, openTracker, redactUri } from '../../src/tracking/index.js';

const SECRET = 'S3cr3t-pw';

/** Everything a user could see of an error: message, stack, causes, own properties. */
function shown(err: unknown): string {
  return `${inspect(err, { depth: 20, showHidden: true })}\n${(err as Error)?.stack ?? ''}`;
}

const uris = [
  `postgres://alice:${SECRET}@127.0.0.1:1/db`,
  `postgres://alice:${SECRET}@127.0.0.1:99999/db`,
  `postgresql://alice:${SECRET}@[::1:5432/db`,
  `postgres://alice@127.0.0.1:1/db?password=${SECRET}&connect_timeout_ms=2000`,
  `crate://alice@127.0.0.1:1/doc?sslpassword=${SECRET}`,
  `http://alice:${SECRET}@127.0.0.1:99999/`,
  `http://alice:${SECRET}@[::1/`,
  `https://mlflow.example:70000/?token=${SECRET}`,
  `http://alice:${SECRET}:with@at@127.0.0.1:99999/`,
];

describe('credentials stay out of everything shown', () => {
  for (const uri of uris) {
    it(`${redactUri(uri)}`, async () => {
      let err: unknown;
      try {
        const t = openTracker(uri);
        expect(t.uri).not.toContain(SECRET);
        err = await t.listExperiments().then(
          () => new Error('no error'),
          (e: unknown) => e,
        );
        await t.close().catch(() => undefined);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      expect(shown(err)).not.toContain(SECRET);
    }, 30_000);
  }

  it('the MLflow client: an unreachable server with credentials in the URI', async () => {
    const t = createMlflowTracker(`http://alice:${SECRET}@127.0.0.1:1/?token=${SECRET}`, {
      env: {} as NodeJS.ProcessEnv,
      retryBudgetMs: 0,
    });
    expect(t.uri).not.toContain(SECRET);
    const err = await t.listExperiments().catch((e: unknown) => e);
    expect(shown(err)).not.toContain(SECRET);
  });

  it('property: redactUri hides any password and secret parameter', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9._~!$'()*+,=-]{1,12}$/);
    fc.assert(
      fc.property(word, word, fc.constantFrom('postgres', 'crate', 'http', 'https'), (user, pw, scheme) => {
        const secret = `Z${pw}Q`;
        for (const u of [
          `${scheme}://${user}:${secret}@host:5432/db`,
          `${scheme}://${user}:${secret}@host:999999/db`,
          `${scheme}://${user}:${secret}@[::1/db`,
          `${scheme}://host/db?password=${secret}`,
          `${scheme}://host/db?x=1&token=${secret}`,
        ]) {
          expect(redactUri(u)).not.toContain(secret);
        }
      }),
    );
  });
});

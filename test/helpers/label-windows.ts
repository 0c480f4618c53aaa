import { expect } from 'vitest';

/**
 * Awaits `run`, which must reject as a bad label window does in simulate and promote: LifecycleError
 * `bad_option` whose message matches `what` and tells the user to pass each window as [start, end].
 */
export async function expectBadLabelWindow(run: Promise<unknown>, what: RegExp): Promise<void> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ name: 'LifecycleError', code: 'bad_option' });
  expect((err as Error).message).toMatch(what);
  expect((err as Error).message).toMatch(/pass each window as \[start, end\]/);
}

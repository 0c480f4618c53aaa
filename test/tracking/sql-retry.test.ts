/**
 * `retryLost`: the one loop that sends a call again after a lost connection (resend, a transaction lost
 * before its COMMIT in pgExecutor.tx, SqlStore.write's idempotent transaction, SqlRegistry.sendAgain): at most POOL_SIZE more times, only for failures the
 * caller's predicate accepts, the last failure thrown as it is.
 */
import { describe, expect, it } from 'vitest';
import { POOL_SIZE, retryLost } from '../../src/internal.js';

const lostErr = (n: number): Error => Object.assign(new Error(`lost ${n}`), { lost: true });
const isLost = (err: unknown): boolean => (err as { lost?: boolean }).lost === true;

describe('retryLost', () => {
  it('returns the first success, numbering the attempts from 0', async () => {
    const seen: number[] = [];
    const out = await retryLost(async (n) => {
      seen.push(n);
      if (n < 2) throw lostErr(n);
      return `ok ${n}`;
    }, isLost);
    expect(out).toBe('ok 2');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('tries at most POOL_SIZE more times, then throws the last failure itself', async () => {
    const seen: number[] = [];
    const err = await retryLost(async (n) => {
      seen.push(n);
      throw lostErr(n);
    }, isLost).catch((e: unknown) => e);
    expect(seen).toEqual(Array.from({ length: POOL_SIZE + 1 }, (_, i) => i));
    expect((err as Error).message).toBe(`lost ${POOL_SIZE}`);
  });

  it('throws a failure the predicate does not accept at once', async () => {
    const other = new Error('syntax error');
    const seen: number[] = [];
    await expect(
      retryLost(async (n) => {
        seen.push(n);
        throw n === 0 ? lostErr(0) : other;
      }, isLost),
    ).rejects.toBe(other);
    expect(seen).toEqual([0, 1]);
  });
});

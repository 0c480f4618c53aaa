/**
 * The error a call throws (or a promise rejects with), checked to be of the expected class: one helper
 * for the tests that then look at its `code` and message.
 */
import { expect } from 'vitest';

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** The error `f` throws, asserted to be an instance of `cls`; fails the test when nothing is thrown. */
export function thrownBy<E extends Error>(cls: ErrorClass<E>, f: () => unknown): E {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(cls);
    return err as E;
  }
  throw new Error(`expected a ${cls.name}, nothing was thrown`);
}

/** The error `p` rejects with, asserted to be an instance of `cls`; fails the test when it resolves. */
export async function rejectedWith<E extends Error>(cls: ErrorClass<E>, p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(cls);
    return err as E;
  }
  throw new Error(`expected a ${cls.name}, the promise resolved`);
}

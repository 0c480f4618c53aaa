/**
 * A gate: a promise and the function that settles it, for tests that hold one step of a race (a store
 * call, a lock holder, a statement on its way) until they let it go, or that wait until a step is reached.
 * Node 20 has no `Promise.withResolvers`; this is the one copy the tests share.
 */
export interface Gate {
  /** Settles once `open` is called (and stays settled). */
  readonly wait: Promise<void>;
  /** Lets every waiter through; calling it again does nothing. */
  readonly open: () => void;
}

/** A closed gate. */
export function gate(): Gate {
  let open!: () => void;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

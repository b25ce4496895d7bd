// A store (or any object) whose chosen methods stop at a gate: a test holds a writer at an
// exact point (the 30th put, just after a hasMany) while something else runs, then lets it go.

export interface Gated<T> {
  /** The object; calls to the gated methods stop once `stopAt` says so. */
  target: T;
  /** Resolves when a call has stopped at the gate. */
  reached: Promise<void>;
  /** Opens the gate for good. */
  go(): void;
}

/**
 * `stopAt(n)` is asked with the count of calls to the gated methods so far; the call that it
 * answers true for waits for `go()`, before the method runs (`when: 'before'`) or after it
 * answered (`'after'`).
 */
export function gated<T extends object>(obj: T, methods: string[], stopAt: (n: number) => boolean, when: 'before' | 'after'): Gated<T> {
  let calls = 0;
  let reach!: () => void;
  let go!: () => void;
  const reached = new Promise<void>((r) => { reach = r; });
  const gate = new Promise<void>((r) => { go = r; });
  const target = new Proxy(obj, {
    get(t, prop) {
      const v = Reflect.get(t, prop, t) as unknown;
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(t);
      if (typeof prop !== 'string' || !methods.includes(prop)) return fn;
      return async (...args: unknown[]) => {
        const stop = stopAt(++calls);
        if (stop && when === 'before') { reach(); await gate; }
        const out = await fn(...args);
        if (stop && when === 'after') { reach(); await gate; }
        return out;
      };
    },
  });
  return { target, reached, go };
}

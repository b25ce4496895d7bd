// Promise.withResolvers (ES2024, Node >= 22) for Node 20. libp2p 3 calls it while it
// upgrades a connection; without it every inbound upgrade fails with "Promise.withResolvers
// is not a function". It is the only newer API libp2p 3 needs (checked on this machine), so
// one standard, well-specified function is cheaper than pinning the older libp2p 2 line.
// Installed only when missing, so on Node 22+ this module changes nothing; it can go when
// Node 20 support goes. node.ts imports it before anything from libp2p.

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type PromiseCtor = { new <T>(executor: (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void) => void): Promise<T> };

/** Defines `withResolvers` on `target` (the global Promise) unless it has one; true if it did. */
export function installPromiseWithResolvers(target: object = Promise): boolean {
  if (typeof (target as { withResolvers?: unknown }).withResolvers === 'function') return false;
  Object.defineProperty(target, 'withResolvers', {
    // As the spec: `this` is the constructor, so subclasses get their own kind of promise.
    value: function withResolvers<T>(this: PromiseCtor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new this<T>((res, rej) => { resolve = res; reject = rej; });
      return { promise, resolve, reject };
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return true;
}

installPromiseWithResolvers();

// Promise.withResolvers: present after the peer layer loads (Node 20 lacks it), installed
// only where missing, and behaving as the ES2024 function does, subclasses included.
import t from 'tap';
import { installPromiseWithResolvers } from '../../../appliance/peer/polyfill.js';

type WithResolvers = { withResolvers<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } };

t.test('the global Promise has it once the module is loaded', async (t) => {
  t.type((Promise as unknown as WithResolvers).withResolvers, 'function');
  t.equal(installPromiseWithResolvers(), false, 'a second install changes nothing');
});

t.test('on a constructor without it: resolves, rejects, keeps the subclass', async (t) => {
  class Bare<T> extends Promise<T> {}
  Object.defineProperty(Bare, 'withResolvers', { value: undefined, configurable: true, writable: true });
  t.equal(installPromiseWithResolvers(Bare), true);
  const ctor = Bare as unknown as WithResolvers;
  const a = ctor.withResolvers<number>();
  t.ok(a.promise instanceof Bare, 'the promise is of the subclass');
  a.resolve(7);
  t.equal(await a.promise, 7);
  const b = ctor.withResolvers<number>();
  b.reject(new Error('no'));
  await t.rejects(b.promise, /no/);
  t.notOk(Object.keys(Bare).includes('withResolvers'), 'not enumerable');
});

t.test('an existing implementation is left alone', async (t) => {
  const own = () => 'theirs';
  const target = { withResolvers: own };
  t.equal(installPromiseWithResolvers(target), false);
  t.equal(target.withResolvers, own);
});

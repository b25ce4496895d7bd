// The failed-login limiter as data: counts, delays and lockouts against a given clock.
import t from 'tap';
import { delayFor, FailureLimiter, LIMITER_DEFAULTS } from '../../../appliance/console/ssh/index.js';

t.test('a few free failures, then a doubling delay with a ceiling', async (t) => {
  const o = { freeFailures: 2, baseDelayMs: 100, maxDelayMs: 500 };
  t.same([1, 2, 3, 4, 5, 6, 40].map((n) => delayFor(n, o)), [0, 0, 100, 200, 400, 500, 500]);
  t.equal(delayFor(9, { ...o, baseDelayMs: 0 }), 0, 'a zero base turns delays off');
  const l = new FailureLimiter({ freeFailures: 1, baseDelayMs: 10, lockAfter: 100 });
  t.same([1, 2, 3].map(() => l.fail('addr:a', 0).delayMs), [0, 10, 20]);
});

t.test('lockout after the threshold, for the window, then a fresh count', async (t) => {
  const l = new FailureLimiter({ lockAfter: 3, lockMs: 1000, forgetMs: 60_000 });
  t.same(l.state('user:alice', 0), { locked: false, until: 0, failures: 0, pending: 0 });
  t.notOk(l.fail('user:alice', 0).lockedNow);
  t.notOk(l.fail('user:alice', 10).lockedNow);
  const third = l.fail('user:alice', 20);
  t.ok(third.lockedNow, 'the third failure locks');
  t.same(l.state('user:alice', 500), { locked: true, until: 1020, failures: 3, pending: 0 });
  t.notOk(l.fail('user:alice', 600).lockedNow, 'failures during a lockout do not lock again');
  t.equal(l.state('user:alice', 1019).locked, true);
  t.same(l.state('user:alice', 1020), { locked: false, until: 0, failures: 0, pending: 0 }, 'the lockout ends on time with a fresh count');
  t.notOk(l.state('user:bob', 500).locked, 'keys are independent');
});

t.test('success forgets failures, but not a lockout in force', async (t) => {
  const l = new FailureLimiter({ lockAfter: 2, lockMs: 1000 });
  l.fail('k', 0);
  l.succeed('k', 1);
  t.equal(l.state('k', 2).failures, 0);
  l.fail('k', 3);
  l.fail('k', 4);
  l.succeed('k', 5);
  t.ok(l.state('k', 6).locked, 'still locked');
});

t.test('old failures are forgotten', async (t) => {
  const l = new FailureLimiter({ lockAfter: 3, forgetMs: 1000 });
  l.fail('k', 0);
  l.fail('k', 10);
  t.equal(l.state('k', 1009).failures, 2);
  t.equal(l.state('k', 1010).failures, 0);
  t.equal(l.size, 0, 'and dropped');
});

t.test('memory is bounded: the stalest keys go first', async (t) => {
  const l = new FailureLimiter({ maxEntries: 3 });
  for (const k of ['a', 'b', 'c']) l.fail(k, 0);
  l.fail('a', 1); // a is fresh again
  l.fail('d', 2);
  t.equal(l.size, 3);
  t.equal(l.state('b', 3).failures, 0, 'b was the stalest');
  t.equal(l.state('a', 3).failures, 2);
});

t.test('defaults are sane', async (t) => {
  t.ok(LIMITER_DEFAULTS.lockAfter > LIMITER_DEFAULTS.freeFailures);
  t.ok(LIMITER_DEFAULTS.maxDelayMs <= 10_000, 'a delay never holds a connection long');
});

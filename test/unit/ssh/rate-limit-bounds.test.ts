// The limiter's reservations and its bounded table, as data: attempts in flight count
// toward the threshold, and a full table drops open keys, never a lockout in force.
import t from 'tap';
import { FailureLimiter } from '../../../appliance/console/ssh/index.js';

t.test('attempts in flight count toward the threshold', async (t) => {
  const l = new FailureLimiter({ lockAfter: 3 });
  const admitted = [1, 2, 3, 4, 5].map(() => l.begin(['addr:a', 'user:u'], 0));
  t.same(admitted.map((a) => a.ok), [true, true, true, false, false], 'three reserved, the rest refused unchecked');
  t.match(admitted[3], { ok: false, reason: 'busy', key: 'addr:a' });
  t.same(l.state('user:u', 0), { locked: false, until: 0, failures: 0, pending: 3 });
  const verdicts = admitted.flatMap((a) => (a.ok ? [l.settle(a.ticket, false, 1)] : []));
  t.same(verdicts.map((v) => v.lockedNow), [false, false, true], 'the third failure locks');
  t.match(l.state('addr:a', 2), { locked: true, failures: 3, pending: 0 });
  t.match(l.begin(['addr:a', 'user:u'], 2), { ok: false, reason: 'locked' });
  t.match(l.begin(['addr:b', 'user:u'], 2), { ok: false, reason: 'locked', key: 'user:u' });
  t.equal(l.state('addr:b', 2).pending, 0, 'a refused attempt reserves nothing on the other key');
});

t.test('a success frees its reservation and forgets failures; a ticket settles once', async (t) => {
  const l = new FailureLimiter({ lockAfter: 3 });
  l.fail('user:u', 0);
  const a = l.begin(['addr:a', 'user:u'], 0);
  if (!a.ok) throw new Error('refused');
  l.settle(a.ticket, true, 1);
  l.settle(a.ticket, false, 1);
  t.same(l.state('user:u', 2), { locked: false, until: 0, failures: 0, pending: 0 });
  t.equal(l.size, 0, 'nothing left to remember');
});

t.test('10 000 failures from distinct keys do not evict a lockout', async (t) => {
  const l = new FailureLimiter({ lockAfter: 10, maxEntries: 1_000 });
  for (let i = 0; i < 10; i++) l.fail('user:alice', 0);
  t.ok(l.state('user:alice', 1).locked);
  for (let i = 0; i < 10_000; i++) {
    l.fail(`addr:10.0.${i >> 8}.${i & 255}`, 1);
    l.fail(`user:guess${i}`, 1);
  }
  t.ok(l.size <= 1_000, `the table is bounded (${l.size})`);
  t.ok(l.state('user:alice', 2).locked, 'alice is still locked');
});

t.test('a table full of lockouts refuses unknown keys until they expire', async (t) => {
  const l = new FailureLimiter({ lockAfter: 1, maxEntries: 4, lockMs: 1_000, forgetMs: 60_000 });
  for (const k of ['a', 'b', 'c', 'd']) l.fail(`addr:${k}`, 0);
  t.equal(l.size, 4);
  t.match(l.begin(['addr:new', 'user:x'], 10), { ok: false, reason: 'full', key: 'addr:new' });
  t.same(l.fail('addr:new', 10), { delayMs: 0, lockedNow: false, failures: 0 }, 'an unreserved failure it cannot hold is not recorded');
  t.equal(l.size, 4, 'nothing was dropped');
  for (const k of ['a', 'b', 'c', 'd']) t.ok(l.state(`addr:${k}`, 10).locked, `addr:${k} is still locked`);
  const later = l.begin(['addr:new', 'user:x'], 1_000);
  t.ok(later.ok, 'expired lockouts make room');
});

t.test('a full table drops open keys oldest first, but not one with an attempt in flight', async (t) => {
  const l = new FailureLimiter({ lockAfter: 5, maxEntries: 3 });
  const held = l.begin(['addr:a'], 0);
  t.ok(held.ok);
  l.fail('addr:b', 1);
  l.fail('addr:c', 2);
  l.fail('addr:d', 3);
  t.equal(l.state('addr:a', 4).pending, 1, 'the key in flight stays');
  t.equal(l.state('addr:b', 4).failures, 0, 'the oldest open key went');
  t.equal(l.state('addr:c', 4).failures, 1);
  t.equal(l.size, 3);
});

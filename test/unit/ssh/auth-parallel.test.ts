// Parallel password guesses against the limiter: an attempt counts from the moment it
// starts, so with a threshold of 10 only 10 of 100 simultaneous wrong passwords are
// checked (scrypt); the others are refused before any check.
import t from 'tap';
import { decide, FailureLimiter, type Accounts } from '../../../appliance/console/ssh/index.js';

function slowAccounts() {
  let checks = 0;
  const gate: Array<() => void> = [];
  const accounts = {
    userForKey: () => undefined,
    checkPassword: async (n: string, p: string) => {
      checks++;
      await new Promise<void>((resolve) => gate.push(resolve));
      return n === 'admin' && p === 'right';
    },
  } as unknown as Accounts;
  return { accounts, checks: () => checks, open: () => { for (const r of gate.splice(0)) r(); } };
}

t.test('100 parallel wrong passwords: 10 are checked, 90 refused unchecked', async (t) => {
  const s = slowAccounts();
  const limiter = new FailureLimiter({ lockAfter: 10 });
  const a = { accounts: s.accounts, limiter, now: () => 0 };
  const all = Array.from({ length: 100 }, (_, i) => decide(a, `10.9.${i >> 8}.${i & 255}`, { method: 'password', username: 'admin', password: `guess${i}` }));
  await new Promise((r) => setImmediate(r));
  s.open();
  const decisions = await Promise.all(all);
  t.equal(s.checks(), 10, 'checked no more than the threshold');
  t.equal(decisions.filter((d) => d.verdict === 'reject' && d.counted).length, 10, 'ten counted failures');
  t.equal(decisions.filter((d) => d.verdict === 'reject' && !d.counted && d.locked).length, 90, 'ninety refused by the limiter');
  t.ok(limiter.state('user:admin', 0).locked, 'and the user is locked');
  t.match(await decide(a, '10.8.0.1', { method: 'password', username: 'admin', password: 'right' }), { verdict: 'reject', locked: true, reason: /user locked/ });
  t.equal(s.checks(), 10, 'the locked attempt was not checked either');
});

t.test('from one address: the same bound', async (t) => {
  const s = slowAccounts();
  const limiter = new FailureLimiter({ lockAfter: 10 });
  const a = { accounts: s.accounts, limiter, now: () => 0 };
  const all = Array.from({ length: 100 }, (_, i) => decide(a, '10.7.0.1', { method: 'password', username: `user${i}`, password: 'x' }));
  await new Promise((r) => setImmediate(r));
  s.open();
  await Promise.all(all);
  t.equal(s.checks(), 10);
  t.same(limiter.state('addr:10.7.0.1', 0).pending, 0, 'every reservation was settled');
  t.ok(limiter.state('addr:10.7.0.1', 0).locked);
});

t.test('a right password in flight next to wrong ones is settled and forgets the count', async (t) => {
  const s = slowAccounts();
  const limiter = new FailureLimiter({ lockAfter: 10 });
  const a = { accounts: s.accounts, limiter, now: () => 0 };
  const wrong = decide(a, '10.6.0.1', { method: 'password', username: 'admin', password: 'nope' });
  const right = decide(a, '10.6.0.2', { method: 'password', username: 'admin', password: 'right' });
  await new Promise((r) => setImmediate(r));
  s.open();
  t.match(await wrong, { verdict: 'reject', counted: true });
  t.same(await right, { verdict: 'accept', user: 'admin' });
  t.same(limiter.state('user:admin', 0), { locked: false, until: 0, failures: 0, pending: 0 });
});

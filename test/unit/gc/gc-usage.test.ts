// The usage report as data: every user with names, environments or bytes, sorted, with
// quotas where set, the note on shared blocks; a user sees their own row, an admin all.
import t from 'tap';
import { USAGE_NOTE, usageFor, usageInputs, usageReport } from '../../../appliance/gc/index.js';
import { formatScore } from '../../../appliance/store/index.js';

const report = usageReport({
  usage: [{ user: 'bob', bytes: 300 }, { user: 'alice', bytes: 1000 }],
  names: new Map([['alice', 2], ['bob', 1], ['carol', 1]]),
  environments: new Map([['alice', 1], ['dave', 1]]),
  quotas: new Map([['alice', 5000]]),
  storeBytes: 1100,
});

t.test('one row per user, with counts, quota and the shared-blocks note', async (t) => {
  t.same(report, {
    users: [
      { user: 'alice', bytes: 1000, names: 2, environments: 1, quotaBytes: 5000 },
      { user: 'bob', bytes: 300, names: 1, environments: 0 },
      { user: 'carol', bytes: 0, names: 1, environments: 0 },
      { user: 'dave', bytes: 0, names: 0, environments: 1 },
    ],
    storeBytes: 1100,
    note: USAGE_NOTE,
  });
  t.ok(report.users.reduce((n, u) => n + u.bytes, 0) > report.storeBytes, 'users together may hold more than the store (shared blocks)');
});

t.test('a user sees their own row; an admin sees everyone', async (t) => {
  t.same(usageFor(report, 'bob', false).users.map((u) => u.user), ['bob']);
  t.same(usageFor(report, 'admin', true).users.length, 4);
  t.same(usageFor(report, 'eve', false).users, []);
});

t.test('inputs: each user\'s name roots and environment bases and heads, with counts', async (t) => {
  const r = (n: number) => Buffer.alloc(32, n);
  const inputs = usageInputs(
    [{ owner: 'alice', root: r(1) }, { owner: 'alice', root: r(2) }, { owner: 'bob', root: r(1) }],
    [{ owner: 'bob', head: formatScore(r(4)), base: { root: formatScore(r(3)) } }],
  );
  t.same([...inputs.rootsByUser].map(([u, rs]) => [u, rs.map((x) => x[0])]), [['alice', [1, 2]], ['bob', [1, 3, 4]]]);
  t.same([...inputs.names], [['alice', 2], ['bob', 1]]);
  t.same([...inputs.environments], [['bob', 1]]);
});

// The pure permission rules as data: who is in which group, and what a write, chown or
// chmod leaves of setuid and setgid (Linux 6.x, fs/attr.c).
import t from 'tap';
import { allowed, modeAfterChown, modeAfterWrite, modeForChmod, R, W, type Cred } from '../../../appliance/volume/access.js';
import { credOf, parseAccounts } from '../../../appliance/volume/accounts.js';

const tables = parseAccounts(
  'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/:/bin/sh\nbroken:x:abc:1\n',
  'root:x:0:\nstaff:x:50:alice, bob\nwheel:x:10:alice\nalice:x:1000:alice\nodd:x:zz:alice\n',
);

t.test('credentials from passwd and group', async (t) => {
  t.same(credOf(tables, 1000), { uid: 1000, gid: 1000, groups: [50, 10] }, "alice's primary group once, then every group naming her");
  t.same(credOf(tables, 1001), { uid: 1001, gid: 1001, groups: [50] });
  t.same(credOf(tables, 0), { uid: 0, gid: 0, groups: [] });
  t.same(credOf(tables, 4242), { uid: 4242, gid: 4242, groupsUnknown: true }, 'no account: gid = uid, groups unknown');
  t.equal(tables.byName.has('broken'), false, 'malformed lines are skipped');
});

t.test('permission classes', async (t) => {
  const file = { kind: 'file' as const, uid: 0, gid: 50, mode: 0o640 };
  t.ok(allowed(credOf(tables, 1000), file, R), 'member: group bits');
  t.notOk(allowed({ uid: 1002, gid: 1002, groups: [] }, file, R), 'known non-member: other bits');
  t.ok(allowed({ uid: 4242, gid: 4242, groupsUnknown: true }, file, R), 'unknown groups: group or other bits');
  t.notOk(allowed({ uid: 4242, gid: 4242, groupsUnknown: true }, file, W));
  t.notOk(allowed(credOf(tables, 1000), { ...file, mode: 0o604 }, R), 'a member is held to the group bits even when others may read');
});

t.test('setuid and setgid after a write, a chown and a chmod', async (t) => {
  const alice: Cred = credOf(tables, 1000);
  const bob: Cred = credOf(tables, 1001);
  const root: Cred = { uid: 0, gid: 0 };
  const f = (mode: number, gid = 10) => ({ kind: 'file' as const, mode, gid });
  const cases: Array<[string, number, number]> = [
    ['write, member, g+x', modeAfterWrite(alice, f(0o6775)), 0o0775],
    ['write, member, no g+x', modeAfterWrite(alice, f(0o6765)), 0o2765],
    ['write, non-member, no g+x', modeAfterWrite(bob, f(0o2666)), 0o0666],
    ['write, root', modeAfterWrite(root, f(0o6777)), 0o6777],
    ['write, a directory', modeAfterWrite(bob, { kind: 'dir', mode: 0o2777, gid: 10 }), 0o2777],
    ['chown by root, g+x', modeAfterChown(root, f(0o6755)), 0o0755],
    ['chown by root, no g+x', modeAfterChown(root, f(0o6745)), 0o2745],
    ['chown by a non-member, no g+x', modeAfterChown(bob, f(0o2644)), 0o0644],
    ['chmod g+s, non-member', modeForChmod(bob, 0o2755, 10), 0o0755],
    ['chmod g+s, member', modeForChmod(alice, 0o2755, 10), 0o2755],
    ['chmod g+s, unknown groups', modeForChmod({ uid: 9, gid: 9, groupsUnknown: true }, 0o2755, 10), 0o2755],
  ];
  for (const [what, got, want] of cases) t.equal(got.toString(8), want.toString(8), what);
});

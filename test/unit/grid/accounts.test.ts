// Adding an invited user to a tree's passwd and group files: text in, text out.
import t from 'tap';
import { planAccount } from '../../../appliance/grid/accounts.js';

const passwd = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n';

t.test('Debian-like: next uid from 1000, own group, member of sudo', async (t) => {
  const group = 'root:x:0:\nsys:x:3:\nsudo:x:27:alice\nalice:x:1000:\n';
  const p = planAccount('bob', passwd, group);
  t.equal(p.uid, 1001);
  t.equal(p.gid, 1001);
  t.equal(p.sysGroup, 'sudo');
  t.ok(p.added);
  t.ok(p.passwd.endsWith('bob:x:1001:1001::/home/bob:/bin/sh\n'));
  t.match(p.group, /^sudo:x:27:alice,bob$/m);
  t.match(p.group, /^bob:x:1001:$/m);
  t.match(p.group, /^sys:x:3:$/m, 'sudo wins over sys');
  t.equal(p.shadow, undefined);
});

t.test('wheel when there is no sudo; sys created when neither exists', async (t) => {
  const wheel = planAccount('bob', passwd, 'root:x:0:\nwheel:x:10:\n');
  t.equal(wheel.sysGroup, 'wheel');
  t.match(wheel.group, /^wheel:x:10:bob$/m);
  const none = planAccount('bob', 'root:x:0:0::/root:/bin/sh', 'root:x:0:\nusers:x:100:');
  t.equal(none.sysGroup, 'sys');
  t.match(none.group, /^sys:x:101:bob$/m, 'the lowest free gid from 100');
  t.match(none.group, /^users:x:100:\n/m, 'a missing final newline is added before appending');
  t.equal(none.uid, 1000);
  t.ok(none.passwd.startsWith('root:x:0:0::/root:/bin/sh\nbob:'));
});

t.test('a taken gid gives the personal group another number; an existing group is reused', async (t) => {
  const p = planAccount('bob', passwd, 'sudo:x:27:\nstaff:x:1001:\n');
  t.equal(p.uid, 1001);
  t.equal(p.gid, 1000);
  const own = planAccount('bob', passwd, 'sudo:x:27:\nbob:x:2000:\n');
  t.equal(own.gid, 2000);
  t.notMatch(own.group, /^bob:x:1001/m);
});

t.test('idempotent: an existing account keeps its ids; membership is ensured once', async (t) => {
  const group = 'sudo:x:27:alice\nalice:x:1000:\n';
  const first = planAccount('alice', passwd, group);
  t.notOk(first.added);
  t.equal(first.uid, 1000);
  t.equal(first.passwd, passwd);
  t.equal(first.group, group);
  const twice = planAccount('bob', first.passwd, planAccount('bob', passwd, group).group);
  t.equal((twice.group.match(/bob/g) ?? []).length, 2, 'bob once in sudo, once as his group');
});

t.test('shadow gets a locked entry when present', async (t) => {
  const p = planAccount('bob', passwd, 'sudo:x:27:\n', 'root:*:19000:0:99999:7:::\n');
  t.equal(p.shadow, 'root:*:19000:0:99999:7:::\nbob:!:::::::\n');
  t.equal(planAccount('root', passwd, 'sudo:x:27:\n', 'root:*::::::::\n').shadow, 'root:*::::::::\n');
});

// Who runs as whom: the owner is root inside; an invited user is their own account and the
// kernel holds them to its permissions; anyone else (admins too) is refused.
import t from 'tap';
import { BOB_UID, collect, MODES, openExecWorld } from './helpers.js';

for (const mode of MODES) {
t.test(`sessions found by ${mode}`, async (t) => {
t.test('the owner is root inside; an invited user runs as their account and cannot read root\'s 0600 file', async (t) => {
  const { ex } = await openExecWorld(t, mode);
  const alice = await collect(await ex.start('alice', 'debian', { command: 'id -u; cat /root/secret; grep CapEff /proc/self/status' }));
  t.match(alice.out, /^0\nonly root\nCapEff:\s+00000000a80401fb\n$/, 'root with Docker\'s default capabilities but the network ones');
  const p = await ex.start('bob', 'debian', { command: 'id -u; id -G; echo "$HOME $USER"; pwd; cat /root/secret; grep CapEff /proc/self/status' });
  t.equal(p.uid, BOB_UID);
  const bob = await collect(p);
  t.match(bob.out, new RegExp(`^${BOB_UID}\\n${BOB_UID}( \\d+)*\\n/home/bob bob\\n/home/bob\\nCapEff:\\s+0+\\n$`));
  t.match(bob.err, /Permission denied/);
  t.equal(bob.status.status, 0, 'the last command (grep) decides');
});

t.test('anyone else is refused, admins included; an unknown environment is not found', async (t) => {
  const { ex, w } = await openExecWorld(t, mode);
  await t.rejects(ex.start('carol', 'debian', { command: 'true' }), { code: 'COLONY_PERMISSION' });
  await t.rejects(ex.start('admin', 'debian', { command: 'true' }), { code: 'COLONY_PERMISSION' });
  await t.rejects(ex.start('alice', 'nope', { command: 'true' }), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(ex.start('nobody-at-all', 'debian', { command: 'true' }), { code: 'COLONY_NOT_FOUND' });
  t.equal(ex.unavailable, undefined);
  void w;
});

t.test('an invited user whose account is gone from /etc/passwd is refused', async (t) => {
  const { ex, root } = await openExecWorld(t, mode);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(`${root}/etc/passwd`, 'root:x:0:0:root:/root:/bin/sh\n');
  await t.rejects(ex.start('bob', 'debian', { command: 'true' }), { code: 'COLONY_PERMISSION', message: /no account/ });
});
});
}

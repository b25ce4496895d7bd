// cpu on the host: bubblewrap really runs, over a plain directory as the environment's root.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { collect, openExecWorld } from './helpers.js';

t.test('a command runs inside: exit status, stderr apart, hostname, its own /etc', async (t) => {
  const { ex } = await openExecWorld(t);
  const r = await collect(await ex.start('alice', 'debian', { command: 'hostname; cat /etc/os-release; id -u; echo oops >&2; exit 3' }));
  t.equal(r.out, 'debian\nNAME="colony test root"\n0\n');
  t.equal(r.err, 'oops\n');
  t.same(r.status, { code: 3, signal: null, status: 3 });
});

t.test('the sandbox sees only its own processes, in a fresh PID namespace', async (t) => {
  const { ex } = await openExecWorld(t);
  const r = await collect(await ex.start('alice', 'debian', { command: 'ls /proc | grep -E "^[0-9]+$" | wc -l; ps -e -o comm= | sort | tr "\\n" " "' }));
  t.equal(r.status.status, 0, r.err);
  const [count, comms] = r.out.split('\n');
  t.ok(Number(count) <= 6, `a handful of processes, got ${count}`);
  t.match(comms, /\bps\b/);
  t.notMatch(comms, /node|tap/, 'nothing of the host');
});

t.test('argv runs without a shell; env and cwd are passed', async (t) => {
  const { ex } = await openExecWorld(t);
  const old = process.umask(0o077); // as colony.service sets it
  const r = await collect(await ex.start('alice', 'debian', { argv: ['sh', '-c', 'pwd; echo "$GREETING $USER $HOME"; umask'], env: { GREETING: 'hi' }, cwd: '/etc' }));
  process.umask(old);
  t.equal(r.out, '/etc\nhi root /root\n0022\n', 'a login\'s umask, whatever the supervisor\'s');
  await t.rejects(ex.start('alice', 'debian', { cwd: '/nowhere', command: 'true' }), { code: 'COLONY_NOT_FOUND' });
});

t.test('a program the environment lacks exits 127 with a clear line, and nothing is launched', async (t) => {
  const { ex, root } = await openExecWorld(t);
  await t.rejects(ex.start('alice', 'debian', { argv: ['no-such-program'] }), { code: 'COLONY_NOT_FOUND', message: /no-such-program in debian/ });
  // Symlinks resolve inside the environment: an absolute one to a host-only path leads nowhere.
  await mkdir(join(root, 'opt'));
  await symlink('/bin/echo', join(root, 'opt/echo'));
  const hostOnly = join(root, '..', 'host-tool'); // beside the root on the host, absent inside
  await writeFile(hostOnly, '#!/bin/sh\necho escaped\n', { mode: 0o755 });
  await symlink(hostOnly, join(root, 'opt/host-tool'));
  t.equal((await collect(await ex.start('alice', 'debian', { argv: ['/opt/echo', 'via', 'link'] }))).out, 'via link\n');
  await t.rejects(ex.start('alice', 'debian', { argv: ['/opt/host-tool'] }), { code: 'COLONY_NOT_FOUND' }, 'an absolute symlink resolves inside');
  // A login shell the environment lacks: the process "exits" 127 with the line on stderr.
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/zsh\n');
  const r = await collect(await ex.start('alice', 'debian', { command: 'true' }));
  t.same(r.status, { code: 127, signal: null, status: 127 });
  t.equal(r.err, 'cpu: /bin/zsh: not found in debian\n');
  t.equal(r.out, '');
  const tty = await collect(await ex.start('alice', 'debian', { tty: { cols: 80, rows: 24, term: 'xterm' } }));
  t.equal(tty.status.status, 127);
  t.equal(tty.out, 'cpu: /bin/zsh: not found in debian\r\n', 'with a terminal the line is on the merged output');
});

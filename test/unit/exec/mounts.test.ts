// The mount line, stale mounts, and lookups that stay inside an environment.
import t from 'tap';
import { findProgram, mountArgs, mountsUnder, resolveIn, type EnvFs, type Stat } from '../../../appliance/exec/mounts.js';
import { exitStatusOf, parentOf, parseProc } from '../../../appliance/exec/session.js';

t.test('the v9fs mount over the supervisor\'s unix socket', async (t) => {
  t.same(mountArgs({ socket: '/var/lib/colony/9p.sock', dir: '/var/lib/colony/exec/mnt/debian', owner: 'alice', env: 'debian', cache: 'mmap' }), [
    '-t', '9p', '-o', 'trans=unix,version=9p2000.L,access=user,uname=alice,aname=env/debian,msize=262144,cache=mmap,nosuid,nodev',
    '/var/lib/colony/9p.sock', '/var/lib/colony/exec/mnt/debian',
  ]);
});

t.test('stale mounts under the mount directory, deepest first', async (t) => {
  const mi = [
    '50 1 0:60 / /d/exec/mnt/debian rw - 9p /d/9p.sock rw',
    '51 50 0:61 / /d/exec/mnt/debian/proc rw - proc proc rw',
    '52 1 0:62 / /d/exec/mnt2 rw - tmpfs t rw',
    '53 1 0:63 / /d/exec/mnt/a\\040b rw - 9p s rw',
  ].join('\n');
  t.same(mountsUnder(mi, '/d/exec/mnt'), ['/d/exec/mnt/debian/proc', '/d/exec/mnt/debian', '/d/exec/mnt/a b']);
});

function memFs(tree: Record<string, Stat & { target?: string }>): EnvFs {
  return {
    lstat: async (p) => tree[p],
    readlink: async (p) => tree[p]!.target!,
    readText: async () => undefined,
    ensureDir: async () => {},
  };
}

t.test('paths resolve inside the environment: absolute symlinks from its root, loops bounded', async (t) => {
  const fs = memFs({
    '/bin': { kind: 'symlink', mode: 0o777, target: 'usr/bin' },
    '/usr': { kind: 'dir', mode: 0o755 },
    '/usr/bin': { kind: 'dir', mode: 0o755 },
    '/usr/bin/sh': { kind: 'symlink', mode: 0o777, target: 'dash' },
    '/usr/bin/dash': { kind: 'file', mode: 0o755 },
    '/usr/bin/data': { kind: 'file', mode: 0o644 },
    '/opt': { kind: 'symlink', mode: 0o777, target: '/../../usr' },
    '/loop': { kind: 'symlink', mode: 0o777, target: '/loop' },
    '/host': { kind: 'symlink', mode: 0o777, target: '/etc/shadow' },
  });
  t.equal(await resolveIn(fs, '/bin/sh'), '/usr/bin/dash');
  t.equal(await resolveIn(fs, '/opt/bin/dash'), '/usr/bin/dash', '.. stops at the root');
  t.equal(await resolveIn(fs, 'dash', '/usr/bin'), '/usr/bin/dash');
  t.equal(await resolveIn(fs, '/loop'), undefined);
  t.equal(await resolveIn(fs, '/host'), undefined, 'a target absent inside is absent, whatever the host has');
  t.equal(await resolveIn(fs, '/usr/bin/dash/x'), undefined);
  t.equal(await findProgram(fs, 'sh', '/nowhere:/bin', '/'), '/usr/bin/dash');
  t.equal(await findProgram(fs, 'data', '/usr/bin', '/'), undefined, 'not executable');
  t.equal(await findProgram(fs, './dash', '', '/usr/bin'), '/usr/bin/dash');
});

t.test('/proc text and exit statuses', async (t) => {
  const stat = '4242 (a) b) c) S 4200 4242 4242 0 -1 4194560';
  t.equal(parentOf(stat), 4200);
  t.same(parseProc(stat, 'Name:\tx\nUid:\t1001\t1001\t1001\t1001\nVmRSS:\t    1234 kB\n', 'sleep\x0030\x00'), {
    name: 'a) b) c', state: 'S', ppid: 4200, uid: 1001, rssBytes: 1234 * 1024, cmdline: ['sleep', '30'],
  });
  t.equal(parseProc('garbage', '', ''), undefined);
  t.same(exitStatusOf(3, null), { code: 3, signal: null, status: 3 });
  t.same(exitStatusOf(143, null), { code: 143, signal: null, status: 143 }, 'bwrap reports a signalled program as 128+N');
  t.same(exitStatusOf(null, 'SIGKILL'), { code: null, signal: 'SIGKILL', status: 137 });
  t.same(exitStatusOf(0, 9), { code: null, signal: 'SIGKILL', status: 137 }, 'node-pty gives a number');
});

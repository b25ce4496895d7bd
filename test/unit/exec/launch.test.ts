// The launch chain as data: what runs for the owner, for an invited user, with and without
// a terminal or a cgroup leaf.
import t from 'tap';
import { CONTAINER_CAPS, JOIN_CGROUP, NO_CGROUP, ROOT_PATH, USER_PATH, accountOf, baseEnv, planLaunch, programOf, type Account } from '../../../appliance/exec/launch.js';

const tools = { sh: '/bin/sh', bwrap: '/usr/bin/bwrap', setpriv: '/usr/bin/setpriv' };
const root: Account = { name: 'root', uid: 0, gid: 0, groups: [], home: '/root', shell: '/bin/bash' };
const bob: Account = { name: 'bob', uid: 1001, gid: 1001, groups: [27], home: '/home/bob', shell: '/bin/sh' };
const sandbox = (tail: string[], tty = false) => [
  '--bind', '/data/exec/mnt/debian', '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
  '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', 'debian', '--die-with-parent',
  ...(tty ? [] : ['--new-session']), ...tail,
];
const caps = ['--cap-drop', 'ALL', ...CONTAINER_CAPS.flatMap((c) => ['--cap-add', c])];

t.test('the owner: into the leaf, then bwrap as root with a container\'s capabilities', async (t) => {
  const plan = planLaunch({ tools, env: 'debian', root: '/data/exec/mnt/debian', leaf: '/sys/fs/cgroup/x/environments/env-debian/s7', account: root, owner: true, argv: ['/bin/bash', '-c', 'make -j2'], cwd: '/root' });
  t.equal(plan.file, '/bin/sh');
  t.same(plan.args, ['-c', JOIN_CGROUP, 'colony-exec', '/sys/fs/cgroup/x/environments/env-debian/s7', '/usr/bin/bwrap',
    ...sandbox([...caps, '--chdir', '/root', '--', '/bin/bash', '-c', 'make -j2'])]);
  t.same(plan.env, { PATH: ROOT_PATH, HOME: '/root', USER: 'root', LOGNAME: 'root', SHELL: '/bin/bash', LANG: 'C.UTF-8' });
  t.equal(CONTAINER_CAPS.length, 12);
  for (const cap of ['CAP_SYS_ADMIN', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE']) t.notOk((CONTAINER_CAPS as readonly string[]).includes(cap), cap);
});

t.test('an invited user: setpriv to their uid, groups and no inheritable caps, then an unprivileged bwrap', async (t) => {
  const plan = planLaunch({ tools, env: 'debian', root: '/data/exec/mnt/debian', account: bob, owner: false, argv: ['/bin/sh', '-l'], cwd: '/home/bob', tty: { cols: 80, rows: 24, term: 'xterm' } });
  t.equal(plan.file, '/bin/sh');
  t.same(plan.args, ['-c', NO_CGROUP, 'colony-exec', '/usr/bin/setpriv', '--reuid=1001', '--regid=1001', '--groups=27', '--inh-caps=-all', '--', '/usr/bin/bwrap',
    ...sandbox(['--chdir', '/home/bob', '--', '/bin/sh', '-l'], true)]);
  t.same(plan.env, { PATH: USER_PATH, HOME: '/home/bob', USER: 'bob', LOGNAME: 'bob', SHELL: '/bin/sh', LANG: 'C.UTF-8', TERM: 'xterm' });
  const alone = planLaunch({ tools, env: 'debian', root: '/r', account: { ...bob, groups: [] }, owner: false, argv: ['true'], cwd: '/' });
  t.ok(alone.args.includes('--clear-groups'));
  t.notOk(alone.args.includes('--cap-add'));
});

t.test('what runs inside: a login shell, the shell with -c, or argv as given', async (t) => {
  t.same(programOf(root, {}), ['/bin/bash', '-l']);
  t.same(programOf(root, { command: 'ls -l' }), ['/bin/bash', '-c', 'ls -l']);
  t.same(programOf(root, { argv: ['make', '-j2'], command: 'ignored' }), ['make', '-j2']);
});

t.test('the request\'s variables are added; malformed ones are dropped', async (t) => {
  const env = baseEnv(bob, false, undefined, { FOO: 'bar', HOME: '/elsewhere', 'A=B': 'x', '': 'y', NUL: 'a\0b' });
  t.equal(env.FOO, 'bar');
  t.equal(env.HOME, '/elsewhere');
  t.same(Object.keys(env).sort(), ['FOO', 'HOME', 'LANG', 'LOGNAME', 'PATH', 'SHELL', 'USER']);
});

t.test('accounts from the environment\'s passwd and group', async (t) => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\nbroken\nodd:x:5:5::\n';
  const group = 'root:x:0:\nsudo:x:27:alice,bob\nbob:x:1001:bob\nusers:x:100: bob \n';
  t.same(accountOf(passwd, group, { name: 'bob' }), { ...bob, groups: [27, 100] });
  t.same(accountOf(passwd, group, { uid: 0 }), root);
  t.equal(accountOf(passwd, group, { name: 'carol' }), undefined);
  t.equal(accountOf('odd:x:5:5:::\n', '', { name: 'odd' })?.shell, '/bin/sh', 'an empty shell field is /bin/sh');
});

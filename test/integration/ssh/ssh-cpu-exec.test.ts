// `cpu` end to end on this host: OpenSSH → the SSH console → the real executor (bubblewrap,
// setpriv; roots are host directories here, see test/integration/exec/helpers.ts, since this
// kernel has no 9p; the QEMU guest runs the v9fs and cgroup path). The environment's files,
// its hostname, streams apart, the status, a pty's size, an invited user's uid, a refusal.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { openExecWorld } from '../exec/helpers.js';
import { ssh, sshArgs, sshWorld, Terminal } from './helpers.js';
import { runSshClient } from '../../helpers/openssh.js';

t.test('cpu through the real executor', async (t) => {
  const { w, ex } = await openExecWorld(t);
  const s = await sshWorld(t, { catalog: w.catalog, node: { cpu: ex } });
  const r = await ssh(s, 'alice', ['cpu', 'debian', '--', 'cat /etc/os-release; hostname; id -u; echo to-stderr >&2; exit 5']);
  t.same(r, { code: 5, stdout: 'NAME="colony test root"\ndebian\n0\n', stderr: 'to-stderr\n' }, 'the environment\'s files and name, as root, streams apart');
  const bob = await ssh(s, 'bob', ['cpu', 'debian', '--', 'id -u; cat /root/secret']);
  t.equal(bob.code, 1);
  t.equal(bob.stdout, '65534\n', 'an invited user runs as their account');
  t.match(bob.stderr, /Permission denied/);
  t.same(await ssh(s, 'root', ['cpu', 'debian', '--', 'true']), { code: 1, stdout: '', stderr: "error: debian is alice's; only its owner and the users they invited may run processes in it\n" }, 'admins too are refused');
  const { file, args } = sshArgs(s, 'alice', { tty: true });
  const tty = await runSshClient(file, [...args, 'cpu', 'debian', '--', 'stty size; echo merged >&2'], { timeoutMs: 30_000, input: '' });
  t.equal(tty.code, 0, tty.stderr);
  t.match(tty.stdout, /^\d+ \d+\r\nmerged\r\n/, 'a pty: stty sees a size, stderr merged');
  const missing = await ssh(s, 'alice', ['cpu', 'debian', '--', 'no-such-program']);
  t.equal(missing.code, 127);
  t.match(missing.stderr, /no-such-program: (command )?not found/);
});

t.test('at the colony> prompt in a terminal, cpu ENV is a shell until it exits', async (t) => {
  const { w, ex, root } = await openExecWorld(t);
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n'); // dash cannot take the terminal in a PID namespace (exec README)
  const s = await sshWorld(t, { catalog: w.catalog, node: { cpu: ex } });
  const term = await Terminal.open(t, s, 'alice');
  await term.waitFor(/colony>$/);
  term.type('cpu debian');
  term.keys('Enter');
  term.type('echo in-$((6*7)) $(hostname); stty size');
  term.keys('Enter');
  await term.waitFor(/in-42 debian\n40 120/, 'the shell inside, with tmux\'s 120x40 window');
  term.tmux('resize-window', '-t', 'ssh', '-x', '100', '-y', '30');
  term.type('stty size');
  term.keys('Enter');
  await term.waitFor(/\n30 100/, 'the resized window');
  term.type('exit');
  term.keys('Enter');
  await term.waitFor(/colony>$/, 'the prompt again');
  term.type('whoami');
  term.keys('Enter');
  await term.waitFor(/alice \(user\)\ncolony>$/);
});

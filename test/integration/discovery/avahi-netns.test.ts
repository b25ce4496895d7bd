// The system bus is a file: a supervisor in a network namespace of its own could reach a
// daemon of the host's namespace through it. sameNetwork compares the daemon's (from its
// pid file) with ours, so such a daemon is not used.
import { spawn } from 'node:child_process';
import { readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { sameNetwork } from '../../../appliance/discovery/avahi.js';
import { createLan, lanUnavailable } from '../../helpers/netns.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('a daemon in another network namespace is not ours', { skip: lanUnavailable() }, async (t) => {
  const dir = await tmpDir(t, 'colony-avahi-ns-');
  const lan = await createLan(t, ['a']);
  const [cmd, args] = lan.wrap('a', 'sleep', ['60']);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  t.teardown(() => { child.kill('SIGKILL'); });
  // ip netns exec enters the namespace, then execs sleep under the same PID: wait for the switch.
  const ours = await readlink('/proc/self/ns/net');
  for (let i = 0; i < 100 && (await readlink(`/proc/${child.pid}/ns/net`).catch(() => ours)) === ours; i++) await new Promise((r) => setTimeout(r, 50));
  const theirs = join(dir, 'theirs.pid');
  await writeFile(theirs, `${child.pid}\n`);
  t.equal(await sameNetwork(theirs), false, 'a daemon in another namespace');
  const mine = join(dir, 'mine.pid');
  await writeFile(mine, `${process.pid}\n`);
  t.equal(await sameNetwork(mine), true, 'a daemon in ours');
  t.equal(await sameNetwork(join(dir, 'absent.pid')), true, 'no pid file: assumed ours');
});

// Mounting an environment through the supervisor's unix socket (DATA/9p.sock) with the token-
// less attach name env/NAME and uname=OWNER, in each access= mode docs/ninep.md describes:
// access=user, access=client and access=0 (one uid for everyone). In each the guest, as root,
// lists the root, makes a directory in the root-owned root, and creates and reads a file.
// One guest mounts all three (three connections to the one socket; trans=fd, msize 64 KiB).
import t from 'tap';
import { requireVm, runGuest, type MountOptions } from '../helpers/vm.js';
import { saidBy, startSupervisor } from '../helpers/colony-server.js';

const modes: Array<{ tag: string; at: string; access: MountOptions['access'] }> = [
  { tag: 'user', at: '/mnt', access: 'user' },
  { tag: 'client', at: '/tmp/client', access: 'client' },
  { tag: 'uid0', at: '/tmp/uid0', access: 0 },
];

if (await requireVm(t)) {
  t.test('env/NAME over DATA/9p.sock with uname=OWNER, access=user, client and 0', async (t) => {
    const colony = await startSupervisor(t);
    await colony.spawn({ as: 'sock', via: 'ctl' });
    const mount = (access: MountOptions['access']): MountOptions => ({ version: '9p2000.L', aname: 'env/sock', uname: 'admin', access, cache: 'none', msize: 65536 });
    const [first, ...rest] = modes;
    const r = await runGuest({
      socket: colony.socket,
      mount: mount(first!.access),
      also: rest.map((m) => ({ socket: colony.socket, mount: mount(m.access), at: m.at })),
      script: modes.map(({ tag, at }) => [
        `echo "${tag}_ls=$(ls -a ${at} >/dev/null 2>/tmp/e && echo ok || cat /tmp/e)"`,
        `echo "${tag}_root=$(stat -c %u:%g:%a ${at} 2>&1)"`,
        `echo "${tag}_mkdir=$(mkdir ${at}/dir-${tag} 2>&1 && stat -c %u:%g ${at}/dir-${tag} 2>&1)"`,
        `echo "${tag}_create=$( (echo hello-${tag} >${at}/file-${tag}) 2>&1 && stat -c %u:%g ${at}/file-${tag} 2>&1)"`,
        `echo "${tag}_read=$(cat ${at}/file-${tag} 2>&1)"`,
      ].join('\n')).join('\n'),
      timeoutMs: 300_000,
    });
    t.ok(r.mounted, 'all three mounts attached', { bootLog: r.bootLog.slice(-4000), log: colony.log().slice(-4000) });
    const said = saidBy(r.output);
    for (const { tag } of modes) {
      t.equal(said[`${tag}_ls`], 'ok', `access=${tag}: ls of the root`, { output: r.output });
      t.equal(said[`${tag}_root`], '0:0:755', `access=${tag}: the root is root's, 0755`);
      t.equal(said[`${tag}_mkdir`], '0:0', `access=${tag}: root makes a directory in the root-owned root, owned by root`);
      t.equal(said[`${tag}_create`], '0:0', `access=${tag}: root creates a file, owned by root`);
      t.equal(said[`${tag}_read`], `hello-${tag}`, `access=${tag}: and reads it back`);
    }
  });
}

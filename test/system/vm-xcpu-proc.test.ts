// The xcpu and proc trees through the Linux kernel's v9fs client (QEMU guest), driven by a
// shell with file operations alone: clone, echo exec > ctl, cat stdout/stderr/wait, stdin,
// and the proc tree's listing, status, cmdline and kill. The server runs on the host with
// the trees over a fake ExecService (host processes); the supervisor's own routes and the
// real executor are tested elsewhere.
import t from 'tap';
import { join } from 'node:path';
import { localProcSource, procTree } from '../../appliance/exec/proc-tree.js';
import { xcpuTree } from '../../appliance/exec/xcpu.js';
import { routeTable } from '../../appliance/ninep/router.js';
import { NinepServer } from '../../appliance/ninep/server.js';
import { tmpDir } from '../helpers/tmp.js';
import { requireVm, runGuest } from '../helpers/vm.js';
import { fakeExec } from '../unit/exec/fake-exec.js';

if (await requireVm(t)) {
  t.test('a shell runs commands and kills processes through v9fs mounts of cpu/NAME and proc', async (t) => {
    const exec = fakeExec(t, { debian: { owner: 'alice' }, other: { owner: 'carol' } });
    const xcpu = xcpuTree(exec, 'alice', 'debian');
    t.teardown(() => xcpu.close());
    const proc = procTree([localProcSource('n1', exec)], 'alice');
    const user = { uid: 0, gid: 0, uname: 'alice' };
    const server = new NinepServer({
      router: routeTable({
        'cpu/': async () => ({ backend: xcpu, root: xcpu.root, user, detach: xcpu.retain() }),
        proc: async () => ({ backend: proc, root: proc.root, user }),
      }),
    });
    t.teardown(() => server.close());
    const dir = await tmpDir(t, 'colony-vm-xcpu-');
    const cpuSock = (await server.listen(join(dir, 'cpu.sock'))).address;
    const procSock = (await server.listen(join(dir, 'proc.sock'))).address;
    const sleeper = await exec.start('alice', 'debian', { argv: ['sleep', '300'] });
    await exec.start('carol', 'other', { argv: ['sleep', '301'] });
    const pid = (await exec.processes('alice'))[0]!.pid;

    const r = await runGuest({
      socket: cpuSock,
      mount: { aname: 'cpu/debian', msize: 65536 },
      also: [{ socket: procSock, mount: { aname: 'proc', msize: 65536 }, at: '/tmp/proc' }],
      script: [
        'set -e',
        'n=$(cat /mnt/clone)',
        'echo "exec sh -c \'echo hi; echo err >&2; exit 3\'" > /mnt/$n/ctl',
        'echo "out=$(cat /mnt/$n/stdout) err=$(cat /mnt/$n/stderr) wait=$(cat /mnt/$n/wait)"',
        'm=$(cat /mnt/clone)',
        'echo "exec tr a-z A-Z" > /mnt/$m/ctl',
        'echo piped > /mnt/$m/stdin',
        'echo "upper=$(cat /mnt/$m/stdout) wait=$(cat /mnt/$m/wait)"',
        'k=$(cat /mnt/clone)',
        'echo "exec sleep 300" > /mnt/$k/ctl',
        'echo kill > /mnt/$k/ctl',
        'echo "killed=$(cat /mnt/$k/wait)"',
        'echo "sessions=$(ls /mnt | tr "\\n" " ")"',
        'echo "envs=$(ls /tmp/proc | tr "\\n" " ")"',
        `echo "pids=$(ls /tmp/proc/debian | tr "\\n" " ")"`,
        `echo "name=$(grep ^name /tmp/proc/debian/${pid}/status)"`,
        `echo "cmdline=$(tr "\\0" " " < /tmp/proc/debian/${pid}/cmdline)"`,
        `echo kill > /tmp/proc/debian/${pid}/ctl`,
        'echo done',
      ].join('\n'),
      timeoutMs: 240_000,
    });
    t.ok(r.mounted, 'mounted', { bootLog: r.bootLog });
    t.equal(r.rc, 0, r.output);
    t.match(r.output, /^out=hi err=err wait=3$/m);
    t.match(r.output, /^upper=PIPED wait=0$/m, 'stdin closed when the shell closed its fd');
    t.match(r.output, /^killed=137 SIGKILL$/m);
    t.match(r.output, /^sessions=0 1 2 clone $/m);
    t.match(r.output, /^envs=debian $/m, "carol's environment is not listed");
    t.match(r.output, new RegExp(`^pids=${pid} $`, 'm'));
    t.match(r.output, /^name=name sleep$/m);
    t.match(r.output, /^cmdline=sleep 300 $/m);
    t.same(await sleeper.exited, { code: null, signal: 'SIGKILL', status: 137 }, 'killed through proc/debian/PID/ctl');
  });
}

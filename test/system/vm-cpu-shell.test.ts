// `cpu` on the product path, inside the QEMU guest (the host kernel has no 9p): a real
// `colony serve` in the guest, alice's snapshot imported with `colony import`, spawned over
// SSH, and OpenSSH's client running `cpu` one-shot and interactively (driven through tmux):
// the environment's files and hostname, exit statuses, separate stderr, ps showing only the
// session, status 127 for a missing program, an unknown environment, stty size before and
// after a window resize, Ctrl-C, an invited user running as their own uid who cannot read the
// owner's 0600 file, a third user refused, and a client that vanishes mid-session (SIGHUP,
// nothing left in the cgroup); then the xcpu tree `cpu/work` and the `proc` tree through the
// guest kernel's v9fs mounts of the supervisor's own DATA/9p.sock (clone/ctl/stdout/stderr/wait/
// stdin; proc lists, kills, hides another user's environment). The checks are
// scripts/vm/guest/cpu-shell.sh and cpu-xcpu.sh.
import t from 'tap';
import { guestScripts, requireVm } from '../helpers/vm.js';
import { reportChecks, runCpuGuest } from '../helpers/vm-cpu.js';

if (await requireVm(t)) {
  t.test('cpu over OpenSSH: one-shot, interactive, invited and refused users, a vanished client', async (t) => {
    const r = await runCpuGuest({ script: `source ${guestScripts}/guest/cpu-shell.sh\nsource ${guestScripts}/guest/cpu-xcpu.sh` });
    reportChecks(t, r, 50);
  });
}

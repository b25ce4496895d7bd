// `cpu` on the product path inside the QEMU guest (see vm-cpu-shell.test.ts for the setup):
// a user builds something inside with make, saves it, booms, spawns the saved name and finds
// the build there and in `colony export`; a memory hog and a fork bomb are stopped inside
// their environment's cgroup (the limits from the config's `exec` section) while the
// supervisor and a second environment keep answering; boom with a running shell kills it,
// unmounts the environment and leaves its cgroup empty. The checks are
// scripts/vm/guest/cpu-build.sh.
import t from 'tap';
import { guestScripts, requireVm } from '../helpers/vm.js';
import { reportChecks, runCpuGuest } from '../helpers/vm-cpu.js';

const MiB = 1 << 20;

if (await requireVm(t)) {
  t.test('cpu: build, save, spawn again; limits; boom with a running shell', async (t) => {
    const r = await runCpuGuest({
      script: `source ${guestScripts}/guest/cpu-build.sh`,
      config: { exec: { memoryBytes: 96 * MiB, pids: 64 } },
    });
    reportChecks(t, r, 30);
  });
}

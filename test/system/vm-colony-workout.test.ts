// Colony's 9P server proven with the real Linux client: a guest does everyday file work
// (scripts/vm/guest/workout.sh) on a Colony volume over v9fs (9P2000.L), once with
// access=user cache=none and once with access=client cache=mmap. The host then saves the
// volume, exports the saved tree, and checks it holds what the guest wrote
// (scripts/vm/workout-check.ts, the same check as for diod's export).
// The checksummed file is BIG_MIB MiB (default 256, as the issue asks; set COLONY_VM_BIG_MIB).
import t from 'tap';
import { join } from 'node:path';
import { workoutProblems } from '../../scripts/vm/workout-check.js';
import { requireVm, runGuest, vmScripts, type MountOptions } from '../helpers/vm.js';
import { colonyMount, saidBy, startColony } from './colony-server.js';

const bigMib = Number(process.env.COLONY_VM_BIG_MIB ?? 256);

if (await requireVm(t)) {
  for (const mount of [
    { access: 'user', cache: 'none' },
    { access: 'client', cache: 'mmap' },
  ] satisfies MountOptions[]) {
    t.test(`workout over Colony, access=${mount.access} cache=${mount.cache}`, async (t) => {
      const colony = await startColony(t);
      const r = await runGuest({
        socket: colony.socket,
        mount: colonyMount(colony, mount),
        script: `BIG_MIB=${bigMib} bash ${join(vmScripts, 'guest/workout.sh')}`,
        timeoutMs: 420_000,
      });
      t.ok(r.mounted, 'mounted', { bootLog: r.bootLog });
      t.equal(r.rc, 0, 'the guest workout succeeded', { output: r.output });
      t.match(r.output, /^workout=ok$/m);
      t.comment(`boot ${r.ms.boot} ms, script ${r.ms.script} ms (big file ${bigMib} MiB)`);
      const exported = await colony.saveAndExport();
      t.same(await workoutProblems(join(exported, 'work'), saidBy(r.output)), [], 'the saved and exported tree holds what the guest wrote');
    });
  }
}

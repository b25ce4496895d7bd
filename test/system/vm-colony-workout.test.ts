// Colony's 9P server proven with the real Linux client: a guest does everyday file work
// (scripts/vm/guest/workout.sh) on a Colony volume over v9fs (9P2000.L), once with
// access=user cache=none and once with access=client cache=mmap. The host then saves the
// volume, exports the saved tree, and checks it holds what the guest wrote
// (scripts/vm/workout-check.ts, the same check as for diod's export).
// The checksummed file is BIG_MIB MiB (default 256, as the issue asks; set COLONY_VM_BIG_MIB).
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workoutProblems } from '../../scripts/vm/workout-check.js';
import { guestScripts, requireVm, runGuest, type MountOptions } from '../helpers/vm.js';
import { colonyMount, listingCommand, saidBy, startColony } from '../helpers/colony-server.js';

const run = promisify(execFile);

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
        // After the workout, the guest lists what it sees (to a file beside `work`, saved too).
        script: `BIG_MIB=${bigMib} bash ${guestScripts}/guest/workout.sh && (${listingCommand('work')}) >guest-listing.txt`,
        timeoutMs: 420_000,
      });
      t.ok(r.mounted, 'mounted', { bootLog: r.bootLog });
      t.equal(r.rc, 0, 'the guest workout succeeded', { output: r.output });
      t.match(r.output, /^workout=ok$/m);
      t.comment(`boot ${r.ms.boot} ms, script ${r.ms.script} ms (big file ${bigMib} MiB)`);
      const exported = await colony.saveAndExport();
      t.same(await workoutProblems(join(exported, 'work'), saidBy(r.output)), [], 'the saved and exported tree holds what the guest wrote');
      // The same listing on the host, over the exported tree: every entry's type, mode, owner,
      // link count, size, target and contents, as the guest saw them.
      const guest = await readFile(join(exported, 'guest-listing.txt'), 'utf8');
      const host = (await run('bash', ['-c', listingCommand('work')], { cwd: exported, maxBuffer: 16 << 20 })).stdout;
      t.ok(guest.split('\n').length > 100, 'the guest listed the tree');
      t.equal(host, guest, 'the exported tree lists the same as the mount did in the guest');
    });
  }
}

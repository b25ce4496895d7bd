// The POSIX checklist (scripts/vm/posix) on the product path: a real `colony serve`, an
// environment spawned from an imported snapshot (RAM through SSH, disk through the ctl file),
// and the Linux client mounting it over trans=tcp with the mount line `spawn` printed (host
// and port filled in; the mode's msize, cache and access appended). The two runs cover both
// cache kinds, both spawn paths, both mount modes of the diod reference run
// (test/system/posix-diod.test.ts) and msize 64 KiB and 256 KiB.
// Colony must pass every check diod passes: colonyFacts lists, with the reason, any check
// Colony fails; the test fails when that list changes either way.
import t from 'tap';
import { requireVm, type MountOptions } from '../helpers/vm.js';
import { modeName, runChecklist } from '../helpers/checklist.js';
import { guestMountLine, startSupervisor } from '../helpers/colony-server.js';

interface Run { disk: boolean; via: 'ssh' | 'ctl'; mount: MountOptions }
const runs: Run[] = [
  { disk: false, via: 'ssh', mount: { access: 'user', cache: 'none', msize: 65536 } },
  { disk: true, via: 'ctl', mount: { access: 'client', cache: 'loose', msize: 262144 } },
];

/** Checks Colony fails per mode, with the reason. Empty: Colony passes everything diod passes. */
const colonyFacts: Record<string, Record<string, string>> = {
  'access=user cache=none': {},
  'access=client cache=loose': {},
};

if (await requireVm(t)) {
  for (const run of runs) {
    const mode = modeName(run.mount);
    const name = `${run.disk ? 'disk' : 'ram'} environment spawned through ${run.via}, ${mode}, msize ${run.mount.msize}`;
    t.test(`POSIX checklist on Colony: ${name}`, async (t) => {
      const colony = await startSupervisor(t);
      const spawned = await colony.spawn({ as: 'posix', disk: run.disk, via: run.via });
      const command = guestMountLine(spawned.mount, colony.ninepPort, run.mount);
      t.comment(`mount line printed: ${spawned.mount}`);
      await runChecklist(t, 'Colony', { tcp: { port: colony.ninepPort, command } }, `${mode} (${name})`, colonyFacts[mode] ?? {});
    });
  }
}

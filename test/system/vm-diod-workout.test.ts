// The v9fs harness proven against diod, the reference 9P2000.L server: the real Linux client
// in a QEMU guest does everyday file work (scripts/vm/guest/workout.sh), once with access=user
// and cache=none and once with access=client and cache=mmap, and the host then checks diod's
// export for what the guest wrote (scripts/vm/workout-check.ts).
import t from 'tap';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { workoutProblems } from '../../scripts/vm/workout-check.js';
import { tmpDir } from '../helpers/tmp.js';
import { guestScripts, requireVm, runGuest, startDiod } from '../helpers/vm.js';

const modes = [{ access: 'user', cache: 'none' }, { access: 'client', cache: 'mmap' }] as const;

if (await requireVm(t)) for (const { access, cache } of modes) {
  t.test(`workout over diod, access=${access} cache=${cache}`, async (t) => {
    const dir = await tmpDir(t, 'colony-vm-diod-');
    const exportDir = join(dir, 'export');
    await mkdir(exportDir);
    const diod = await startDiod(t, dir, exportDir);
    const r = await runGuest({
      socket: diod.socket,
      mount: { version: '9p2000.L', aname: diod.aname, uname: 'root', msize: 65536, access, cache },
      script: `bash ${guestScripts}/guest/workout.sh`,
      timeoutMs: 420_000,
    });
    t.ok(r.mounted, 'mounted', { bootLog: r.bootLog });
    t.equal(r.rc, 0, 'the guest workout succeeded', { output: r.output, diodLog: diod.log() });
    t.match(r.output, /^workout=ok$/m);
    t.comment(`boot ${r.ms.boot} ms, script ${r.ms.script} ms`);
    const said = Object.fromEntries([...r.output.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]]));
    t.same(await workoutProblems(join(exportDir, 'work'), said), [], 'the host sees what the guest wrote');
  });
}

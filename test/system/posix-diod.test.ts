// The POSIX checklist (scripts/vm/posix) against diod, the reference server, through the
// real Linux client. diod's failures are facts about the reference, listed below with the
// reason; the test fails when the list changes, so a new failure (or a fixed one) is seen.
// Colony runs the same checklist; any check that fails there but passes here is a bug.
import t from 'tap';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tmp.js';
import { requireVm, startDiod } from '../helpers/vm.js';
import { checkedModes, modeName, runChecklist } from '../helpers/checklist.js';

/** Where diod 1.0.24 differs from Linux/POSIX, per mount mode. */
const diodFacts: Record<string, Record<string, string>> = {
  'access=user cache=none': {
    'open file stays usable after unlink (write, read, fstat nlink 0)': 'diod resolves an open fid by its path, so a file unlinked while open is lost (ENOENT; ESTALE with cache=loose)',
  },
  'access=client cache=loose': {
    'a file just written in a renamed directory reads by the new path':
      'diod names fids by path; the client reuses the cached fid of dir1/f after the rename, and diod opens the old path: ENOENT',
    'open file stays usable after unlink (write, read, fstat nlink 0)': 'diod resolves an open fid by its path, so a file unlinked while open is lost (ENOENT; ESTALE with cache=loose)',
  },
};

if (await requireVm(t)) {
  for (const mount of checkedModes) {
    const mode = modeName(mount);
    t.test(`POSIX checklist on diod, ${mode}`, async (t) => {
      const dir = await tmpDir(t, 'colony-vm-posix-');
      // The checklist's non-root part needs uid 65534 to reach the export: diod checks host
      // permissions as the attaching user.
      await chmod(dir, 0o755);
      const exportDir = join(dir, 'export');
      await mkdir(exportDir, { mode: 0o755 });
      const diod = await startDiod(t, dir, exportDir);
      await runChecklist(t, 'diod', { socket: diod.socket, mount: { version: '9p2000.L', aname: diod.aname, uname: 'root', msize: 65536, ...mount } }, mode, diodFacts[mode] ?? {});
    });
  }
}

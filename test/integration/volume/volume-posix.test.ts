// The shared POSIX backend suite (test/integration/ninep/posix-suite.ts) on a volume over a
// real BlockStore in a temporary directory, served by VolumeBackend with the environment's
// accounts, as the supervisor serves environments.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { VolumeBackend } from '../../../appliance/ninep/volume-backend.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { Accounts, Volume } from '../../../appliance/volume/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';
import { posixBackendSuite } from '../ninep/posix-suite.js';

posixBackendSuite(t, async (t) => {
  const src = await tmpDir(t);
  await mkdir(join(src, 'etc'));
  await writeFile(join(src, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n');
  await writeFile(join(src, 'etc/group'), 'root:x:0:\nstaff:x:50:alice\nalice:x:1000:\nbob:x:1001:\n');
  await chmod(src, 0o777); // the suite's users write in the root
  const { store } = await tmpStore(t);
  const volume = await Volume.open(store, (await importDirectory(store, src)).root);
  t.teardown(() => volume.close());
  const backend = new VolumeBackend(volume, { accounts: Accounts.of(volume) });
  return { backend, root: await backend.root() };
}, { permissions: true, groups: true });

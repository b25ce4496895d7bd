// A directory with a file that cannot be read gives an error naming that file. Root reads
// through mode 000, so the import runs in a child without any capability (setpriv drops
// the whole bounding set): uid 0 then gets EACCES like anyone else.
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';
import { isRoot } from './fixture.js';
import { childEnv, tsLoader } from '../../helpers/cli.js';

const child = fileURLToPath(new URL('./import-child.ts', import.meta.url));

t.test('an unreadable file is named in a COLONY_PERMISSION error', async (t) => {
  const src = await tmpDir(t);
  await mkdir(join(src, 'inner'));
  await writeFile(join(src, 'fine'), 'ok');
  await writeFile(join(src, 'inner', 'locked'), 'secret');
  await chmod(join(src, 'inner', 'locked'), 0o000);
  const storeDir = await tmpDir(t);
  let result: { error?: { code: string; message: string } };
  if (isRoot) {
    const { stdout } = await promisify(execFile)('setpriv', ['--bounding-set=-all', '--inh-caps=-all', '--', process.execPath, ...tsLoader, child, storeDir, src], {
      env: childEnv({ COLONY_TEST_XATTRS: '0' }),
    });
    result = JSON.parse(stdout);
  } else {
    const { store } = await tmpStore(t);
    result = await importDirectory(store, src, { xattrs: false }).then(() => ({}), (err) => ({ error: { code: err.code, message: err.message } }));
  }
  t.equal(result.error?.code, 'COLONY_PERMISSION');
  t.match(result.error?.message, join(src, 'inner', 'locked'));
});

t.test('a path that is not a directory, or is missing, is a clear error', async (t) => {
  const { store } = await tmpStore(t);
  const dir = await tmpDir(t);
  await writeFile(join(dir, 'file'), 'x');
  await t.rejects(importDirectory(store, join(dir, 'file'), { xattrs: false }), { code: 'COLONY_INVALID', message: /not a directory/ });
  await t.rejects(importDirectory(store, join(dir, 'missing'), { xattrs: false }), { code: 'COLONY_NOT_FOUND' });
});

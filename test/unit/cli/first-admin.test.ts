// Where the first admin's one-time password goes: the terminal, or a 0600 file (never the
// log stream), and the file goes once the password is changed, or at a start after that.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { announceFirstAdmin, FIRST_ADMIN_FILE, watchFirstAdminFile } from '../../../appliance/cli/first-admin.js';
import { MemoryLog } from '../../../appliance/log.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../catalog/fixtures.js';

function stream(tty: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (tty) s.isTTY = true;
  let text = '';
  s.on('data', (b: Buffer) => { text += b.toString(); });
  return { s, text: () => text };
}

t.test('on a terminal it is shown; elsewhere it goes to a 0600 file and the line says where', async (t) => {
  const data = await tmpDir(t);
  const tty = stream(true);
  announceFirstAdmin(data, tty.s, 'admin', 'secret-1');
  t.match(tty.text(), /one-time password: secret-1\n[^]*must choose a new one/);
  t.notOk(existsSync(join(data, FIRST_ADMIN_FILE)));
  const piped = stream(false);
  announceFirstAdmin(data, piped.s, 'admin', 'secret-2');
  t.notMatch(piped.text(), /secret-2/, 'never in the log stream');
  t.match(piped.text(), /one-time password is in \S+first-admin-password \(mode 0600/);
  t.equal(readFileSync(join(data, FIRST_ADMIN_FILE), 'utf8'), 'secret-2\n');
  t.equal(statSync(join(data, FIRST_ADMIN_FILE)).mode & 0o777, 0o600);
});

t.test('the file goes when the password is changed, or at a start after it was', async (t) => {
  const data = await tmpDir(t);
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: 'node-a', scrypt: fastScrypt });
  t.teardown(() => catalog.close());
  const first = await catalog.ensureAdmin();
  const file = join(data, FIRST_ADMIN_FILE);
  writeFileSync(file, `${first.password}\n`, { mode: 0o600 });
  const log = new MemoryLog();
  const stop = watchFirstAdminFile(data, catalog, log);
  t.ok(existsSync(file), 'kept while the password is one-time');
  await catalog.setPassword('admin', 'chosen');
  t.notOk(existsSync(file), 'deleted on the change');
  stop();
  writeFileSync(file, 'stale\n', { mode: 0o600 });
  watchFirstAdminFile(data, catalog, log)();
  t.notOk(existsSync(file), 'a stale file is deleted at start');
  t.notOk(JSON.stringify(log.lines).includes(first.password!), 'the log never holds the password');
});

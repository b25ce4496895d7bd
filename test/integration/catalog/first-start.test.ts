import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';
import { openCatalog } from './helpers.js';

t.test('first start creates admin with a one-time password, shown once and never stored', async (t) => {
  const dir = await tmpDir(t);
  const log = new MemoryLog();
  const c = await Catalog.open(dir, { nodeId: 'node-a', scrypt: fastScrypt, log });
  const first = await c.ensureAdmin();
  t.equal(first.created, true);
  t.equal(first.name, 'admin');
  const password = first.password ?? '';
  t.ok(password.length >= 20);
  t.equal(await c.checkPassword('admin', password), true);
  t.equal(c.getUser('admin').role, 'admin');
  t.same(await c.ensureAdmin(), { created: false, name: 'admin' }, 'the second call creates nothing and shows no password');
  t.notOk(JSON.stringify(log.lines).includes(password), 'the log does not hold it either');
  await c.close();

  const files = await readdir(dir, { recursive: true });
  t.ok(files.length > 0);
  const needles = [Buffer.from(password), Buffer.from(password, 'utf16le')];
  for (const f of files) {
    const bytes = await readFile(join(dir, f)).catch(() => undefined);
    if (!bytes) continue;
    for (const n of needles) t.equal(bytes.indexOf(n), -1, `${f} does not hold the password`);
  }
  const again = await Catalog.open(dir, { nodeId: 'node-a', scrypt: fastScrypt });
  t.teardown(() => again.close());
  t.same(await again.ensureAdmin(), { created: false, name: 'admin' });
  t.equal(await again.checkPassword('admin', password), true);
});

t.test('a catalog with users gets no admin; concurrent first starts create one', async (t) => {
  const { catalog } = await openCatalog(t);
  const both = await Promise.all([catalog.ensureAdmin(), catalog.ensureAdmin()]);
  t.same(both.map((r) => r.created).sort(), [false, true]);
  t.equal(catalog.stats().users, 1);
  const { catalog: other } = await openCatalog(t);
  await other.addUser({ name: 'zed', role: 'admin' });
  t.same(await other.ensureAdmin(), { created: false, name: 'zed' });
});

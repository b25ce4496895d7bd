// The node key: made once (mode 0600, durable), read back the same, shared by processes
// that start together, and never replaced when it is damaged or unreadable.
import { spawnSync } from 'node:child_process';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { catalogOrigin, KEY_FILE, loadOrCreateIdentity, NODE_ID_FILE } from '../../../appliance/identity/index.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('made at the first start, the same afterwards', async (t) => {
  const dir = await tmpDir(t);
  const a = await loadOrCreateIdentity(dir);
  t.ok(a.created);
  t.match(a.nodeId, /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/);
  t.equal((await stat(join(dir, KEY_FILE))).mode & 0o777, 0o600);
  const b = await loadOrCreateIdentity(dir);
  t.notOk(b.created);
  t.equal(b.nodeId, a.nodeId);
  const sig = a.sign(Buffer.from('hello'));
  t.ok(b.verify(Buffer.from('hello'), sig), 'the key read back signs as the one made');
  const pem = await readFile(join(dir, KEY_FILE), 'utf8');
  t.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
  const openssl = spawnSync('openssl', ['pkey', '-in', join(dir, KEY_FILE), '-noout', '-text'], { encoding: 'utf8' });
  if (openssl.status !== null && !openssl.error) t.match(openssl.stdout, /ED25519 Private-Key/, 'openssl reads it');
});

t.test('processes starting together agree on one key', async (t) => {
  const dir = await tmpDir(t);
  const ids = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateIdentity(dir)));
  t.equal(new Set(ids.map((i) => i.nodeId)).size, 1);
  t.equal(ids.filter((i) => i.created).length, 1, 'exactly one made it');
});

t.test('a damaged key is an error, never a new identity', async (t) => {
  const dir = await tmpDir(t);
  await loadOrCreateIdentity(dir);
  const path = join(dir, KEY_FILE);
  await writeFile(path, 'garbage\n');
  await t.rejects(loadOrCreateIdentity(dir), { code: 'COLONY_CORRUPT_DATA', message: /node key .* is damaged.*restore it from a backup/ });
  t.equal(await readFile(path, 'utf8'), 'garbage\n', 'the file was left alone');
  await writeFile(path, '');
  await t.rejects(loadOrCreateIdentity(dir), { code: 'COLONY_CORRUPT_DATA' });
  const rsa = spawnSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], { encoding: 'utf8' });
  if (rsa.status === 0) {
    await writeFile(path, rsa.stdout);
    await t.rejects(loadOrCreateIdentity(dir), { code: 'COLONY_CORRUPT_DATA', message: /rsa key, not Ed25519/ });
  }
});

t.test('an unreadable key is an error that names it', async (t) => {
  const dir = await tmpDir(t);
  await loadOrCreateIdentity(dir);
  await chmod(join(dir, KEY_FILE), 0o000);
  // As root, mode 000 still reads; a directory in its place fails for everyone.
  if (process.getuid?.() === 0) {
    const other = await tmpDir(t);
    await import('node:fs/promises').then((fs) => fs.mkdir(join(other, KEY_FILE)));
    await t.rejects(loadOrCreateIdentity(other), { code: 'COLONY_IO', message: new RegExp(`reading the node key ${join(other, KEY_FILE)}.*EISDIR`) });
  } else {
    await t.rejects(loadOrCreateIdentity(dir), { code: 'COLONY_PERMISSION' });
  }
});

t.test('the catalog origin: node-id when present, else the node id, recorded', async (t) => {
  const old = await tmpDir(t);
  await writeFile(join(old, NODE_ID_FILE), '1c13750d918eb23a2328f80ddb136708\n');
  let asked = 0;
  const id = () => { asked++; return loadOrCreateIdentity(old); };
  t.equal(await catalogOrigin(old, id), '1c13750d918eb23a2328f80ddb136708', 'an older directory keeps its id');
  t.equal(asked, 0, 'without reading the key');

  const fresh = await tmpDir(t);
  const me = await loadOrCreateIdentity(fresh);
  t.equal(await catalogOrigin(fresh, async () => me), me.nodeId);
  t.equal((await readFile(join(fresh, NODE_ID_FILE), 'utf8')).trim(), me.nodeId, 'recorded in node-id');

  await writeFile(join(fresh, NODE_ID_FILE), 'not an id!\n');
  await t.rejects(catalogOrigin(fresh, async () => me), { code: 'COLONY_CORRUPT_DATA', message: /node-id is damaged/ });
});

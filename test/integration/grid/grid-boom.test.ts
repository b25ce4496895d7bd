// boom: the cache is freed and the token revoked; the snapshot stays; unsaved changes are
// discarded and the reply says so.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { getFile, openWorld, putFile } from './helpers.js';

t.test('boom discards unsaved changes and warns', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  const vol = w.grid.environment('alice', 'debian').volume;
  await putFile(vol, 'hello.txt', 'changed\n');
  await getFile(vol, 'big.bin');
  t.ok(vol.stats().cleanBytes > 0);
  const r = await w.grid.boom('alice', 'debian');
  t.equal(r.unsaved, true);
  t.match(r.warning, /debian had unsaved changes; they are gone/);
  t.equal(vol.stats().cleanBytes, 0, 'the clean cache is freed');
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  t.equal(await getFile(w.grid.environment('alice', 'debian').volume, 'hello.txt'), 'hello from the base\n', 'the snapshot stayed');
});

t.test('no warning when nothing changed, or all was saved', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await getFile(w.grid.environment('alice', 'debian').volume, 'hello.txt');
  t.same(await w.grid.boom('alice', 'debian'), { name: 'debian', unsaved: false }, 'reading is not changing');
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  await putFile(w.grid.environment('alice', 'debian').volume, 'a', 'b');
  await w.grid.checkpoint('debian');
  t.equal((await w.grid.boom('alice', 'debian')).unsaved, true, 'a checkpoint is not a save');
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  await putFile(w.grid.environment('alice', 'debian').volume, 'a', 'b');
  await w.grid.save('alice', 'debian', 'kept');
  t.same(await w.grid.boom('alice', 'debian'), { name: 'debian', unsaved: false });
});

t.test('a boomed disk environment does not come back', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  t.same(await readdir(join(w.data, 'envs')), ['debian', 'debian.json'], 'the record and its disk cache');
  await w.grid.boom('alice', 'debian');
  t.same(await readdir(join(w.data, 'envs')), []);
  await w.reopen();
  t.same(w.grid.status('admin'), []);
});

t.test('a spawn racing a boom of the same name never loses its record', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  const booming = w.grid.boom('alice', 'debian');
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'disk' }), { code: 'COLONY_EXISTS' }, 'the name is held until the boom is done');
  await booming;
  const s = await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  t.same(await readdir(join(w.data, 'envs')), ['debian', 'debian.json']);
  await w.reopen();
  t.equal(w.grid.status('alice')[0]?.aname, s.aname);
});

// A sync with nothing new since the last one touches no disk: no fdatasync of the arena and
// no index batch (a caught-up peer syncs every 30 s per peer; an SD card need not hear it).
import t from 'tap';
import { Arena } from '../../../appliance/store/arena.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('an idle sync does not fdatasync; a sync after a put does', async (t) => {
  const store = await BlockStore.open(await tmpDir(t));
  t.teardown(() => store.close());
  let syncs = 0;
  const real = Arena.prototype.sync;
  Arena.prototype.sync = async function (this: Arena) { syncs++; return real.call(this); };
  t.teardown(() => { Arena.prototype.sync = real; });
  const a = await store.put(1, Buffer.from('one'));
  await store.sync();
  t.equal(syncs, 1, 'a new block is made durable');
  for (let i = 0; i < 5; i++) await store.sync();
  t.equal(syncs, 1, 'five syncs with nothing new write nothing');
  t.same(await store.put(1, Buffer.from('one')), a, 'a dedup hit');
  await store.sync();
  t.equal(syncs, 1, 'a block already stored makes nothing to sync');
  await store.put(1, Buffer.from('two'));
  await store.sync();
  t.equal(syncs, 2, 'a second new block is synced');
  t.equal((await store.stats()).durablePosition, (await store.stats()).logPosition, 'the head is durable');
});

// A forgotten name is never bound again (issue 18): save refuses it before writing a tree,
// and invite skips it as if it were taken.
import t from 'tap';
import { openWorld, putFile } from './helpers.js';

t.test('save refuses a forgotten name before it writes, and says why', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await w.grid.save('alice', 'debian', 'dev');
  await w.catalog.forgetName('alice', 'dev', { by: 'alice' });
  await putFile(w.grid.environment('alice', 'debian').volume, 'new.txt', 'changed\n');
  const before = (await w.store.stats()).logPosition;
  await t.rejects(w.grid.save('alice', 'debian', 'dev'), { code: 'COLONY_EXISTS', message: /forgotten/ });
  t.equal((await w.store.stats()).logPosition, before, 'nothing was written for the refused save');
  const other = await w.grid.save('alice', 'debian', 'dev2');
  t.equal(other.name, 'dev2', 'another name works');
});

t.test('invite does not land on a name the invitee forgot', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  const first = await w.grid.invite('alice', 'bob', 'debian');
  t.equal(first.record.name, 'debian');
  await w.catalog.forgetName('bob', 'debian', { by: 'bob' });
  const second = await w.grid.invite('alice', 'bob', 'debian');
  t.equal(second.record.name, 'debian-alice', 'the forgotten name is skipped');
});

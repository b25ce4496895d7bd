// The seed's spawn errors: unknown name, already running (with a free name offered),
// the per-node and per-user limits, disk slots and the node's cache budget.
import t from 'tap';
import { openWorld } from './helpers.js';

const MiB = 1 << 20;

t.test('already running: the reply offers a free suffix', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'ram' }), {
    code: 'COLONY_EXISTS', message: 'COLONY_EXISTS: debian is running; spawn it as debian-2 with `spawn debian as debian-2`',
  });
  const second = await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'debian-2' });
  t.equal(second.env.name, 'debian-2');
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'disk' }), { message: /spawn it as debian-3 with `spawndisk debian as debian-3`/ });
  await t.rejects(w.grid.spawn('alice', 'plain', { cache: 'ram', as: 'debian' }), { code: 'COLONY_EXISTS', message: /spawn plain as debian-3/ });
  await w.catalog.grant('alice', 'debian', 'bob');
  await t.rejects(w.grid.spawn('bob', 'debian', { cache: 'ram' }), { code: 'COLONY_EXISTS' }, 'environment names are unique on the node');
});

t.test('bad names', async (t) => {
  const w = await openWorld(t);
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'a/b' }), { code: 'COLONY_INVALID' });
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'tmpfs' as 'ram' }), { code: 'COLONY_INVALID' });
  await w.catalog.registerName({ owner: 'alice', name: 'ünï', root: w.roots.plain });
  await t.rejects(w.grid.spawn('alice', 'ünï', { cache: 'ram' }), { code: 'COLONY_INVALID', message: /spawn ünï as ENV/ });
  t.equal((await w.grid.spawn('alice', 'ünï', { cache: 'ram', as: 'uni' })).env.base.name, 'ünï');
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await t.rejects(w.grid.save('alice', 'debian', 'has space'), { code: 'COLONY_INVALID' });
});

t.test('the per-node limit: 5 by default', async (t) => {
  const w = await openWorld(t, { perUser: 10, ramBudgetBytes: 10_000 * MiB });
  await w.catalog.grant('alice', 'debian', 'bob');
  for (let i = 1; i <= 5; i++) await w.grid.spawn(i % 2 ? 'alice' : 'bob', 'debian', { cache: 'ram', as: `d${i}` });
  await t.rejects(w.grid.spawn('bob', 'debian', { cache: 'ram', as: 'd6' }), { code: 'COLONY_LIMIT', message: /5 environments, its limit/ });
  await w.grid.boom('bob', 'd2');
  t.ok(await w.grid.spawn('bob', 'debian', { cache: 'ram', as: 'd6' }), 'a boom frees a place');
});

t.test('the per-node limit is configurable', async (t) => {
  const w = await openWorld(t, { perNode: 2 });
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'x1' });
  await w.grid.spawn('alice', 'debian', { cache: 'disk', as: 'x2' });
  await t.rejects(w.grid.spawn('admin', 'alice/plain', { cache: 'ram' }), { code: 'COLONY_LIMIT' });
});

t.test('the per-user limit, with overrides', async (t) => {
  const w = await openWorld(t, { perNode: 10, perUser: 2, perUserOverrides: { bob: 1 }, ramBudgetBytes: 10_000 * MiB });
  await w.catalog.grant('alice', 'debian', 'bob');
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'a1' });
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'a2' });
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'a3' }), { code: 'COLONY_LIMIT', message: /alice runs 2 environments, the per-user limit of 2/ });
  await w.grid.spawn('bob', 'debian', { cache: 'ram', as: 'b1' });
  await t.rejects(w.grid.spawn('bob', 'debian', { cache: 'ram', as: 'b2' }), { code: 'COLONY_LIMIT', message: /limit of 1/ });
  t.ok(await w.grid.spawn('admin', 'alice/debian', { cache: 'ram', as: 'm1' }), 'other users are not held back');
});

t.test('no cache space and no disk slots', async (t) => {
  const w = await openWorld(t, { ramCacheBytes: 64 * MiB, ramBudgetBytes: 150 * MiB, diskSlots: 1 });
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'r1' });
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'r2' });
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'r3' }), { code: 'COLONY_NO_SPACE', message: /no ram cache space: 128 MiB of 150 MiB in use/ });
  await w.grid.spawn('alice', 'debian', { cache: 'disk', as: 'k1' });
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'disk', as: 'k2' }), { code: 'COLONY_LIMIT', message: /disk slots/ });
  t.same(w.grid.status('alice').map((e) => e.cache.size), [1024 * MiB, 64 * MiB, 64 * MiB]);
});

t.test('concurrent spawns cannot pass a limit or share a name', async (t) => {
  const w = await openWorld(t, { perNode: 3, ramBudgetBytes: 10_000 * MiB });
  const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e', 'a'].map((n) => w.grid.spawn('alice', 'debian', { cache: 'ram', as: n })));
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
  t.equal(w.grid.status('alice').length, 3);
});

// The verbs end to end through the library API the 9P server uses: spawn, write, save,
// status, boom, respawn the saved name and find the writes there.
import t from 'tap';
import { formatScore } from '../../../appliance/store/index.js';
import { getFile, openWorld, putFile } from './helpers.js';

t.test('spawn, write, save, boom, respawn', async (t) => {
  const w = await openWorld(t);
  const s = await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  t.equal(s.env.name, 'debian');
  t.equal(s.env.owner, 'alice');
  t.same(s.env.base, { owner: 'alice', name: 'debian', root: formatScore(w.roots.debian) });
  t.match(s.token, /^[A-Za-z0-9_-]{32}$/);
  t.equal(s.aname, `env/debian/${s.token}`);
  t.equal(s.mount, `mount -t 9p -o trans=tcp,port=564,version=9p2000.L,access=user,aname=env/debian/${s.token} HOST /mnt`);
  t.notOk(s.env.unsaved);

  const env = w.grid.environment('alice', 'debian');
  t.equal(await getFile(env.volume, 'hello.txt'), 'hello from the base\n');
  await putFile(env.volume, 'notes.txt', 'written in the environment\n');
  t.ok(w.grid.status('alice')[0]?.unsaved);

  const saved = await w.grid.save('alice', 'debian', 'debian-dev');
  t.equal(saved.owner, 'alice');
  t.equal(saved.name, 'debian-dev');
  const [st] = w.grid.status('alice');
  t.equal(st?.base.name, 'debian-dev', 'the environment runs on the new base');
  t.equal(st?.base.root, formatScore(saved.root));
  t.notOk(st?.unsaved);
  t.same(w.grid.scores('alice', 'dev').map((r) => r.name), ['debian-dev']);
  await t.rejects(w.grid.save('alice', 'debian', 'debian-dev'), { code: 'COLONY_EXISTS' }, 'names are immutable');

  const b = await w.grid.boom('alice', 'debian');
  t.same(b, { name: 'debian', unsaved: false }, 'no warning after a save');
  t.same(w.grid.status('alice'), []);
  await t.rejects(env.volume.resolvePath('notes.txt'), { code: 'COLONY_CLOSED' }, 'a boomed volume is closed: its cache is freed at once');

  await w.grid.spawn('alice', 'debian-dev', { cache: 'ram' });
  const again = w.grid.environment('alice', 'debian-dev');
  t.equal(await getFile(again.volume, 'notes.txt'), 'written in the environment\n');
  t.equal(await getFile(again.volume, 'hello.txt'), 'hello from the base\n');
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  t.equal(await getFile(w.grid.environment('alice', 'debian').volume, 'notes.txt'), undefined, 'the first snapshot is untouched');
});

t.test('status: own environments with cache use and tokens; admins see all without tokens', async (t) => {
  const w = await openWorld(t);
  await w.catalog.grant('alice', 'debian', 'bob');
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await w.grid.spawn('bob', 'debian', { cache: 'disk', as: 'bobs' });
  const env = w.grid.environment('alice', 'debian');
  await putFile(env.volume, 'x.bin', Buffer.alloc(100_000, 1));
  await getFile(env.volume, 'big.bin');
  const [a] = w.grid.status('alice');
  t.equal(w.grid.status('alice').length, 1);
  t.equal(a?.kind, 'ram');
  t.equal(a?.cache.size, 100 << 20);
  t.ok(a!.dirtyBytes >= 100_000, 'dirty bytes');
  const vs = env.volume.stats();
  t.ok(vs.cleanBytes > 0);
  t.equal(a?.cache.used, vs.cleanBytes + vs.dirtyBytes, 'clean and dirty together');
  t.ok(a?.aname);
  t.equal(a?.clients, 0);
  const client = w.grid.attach(a!.aname!);
  t.equal(w.grid.status('alice')[0]?.clients, 1);
  w.grid.detach(client);
  t.equal(w.grid.status('alice')[0]?.clients, 0);
  t.same(w.grid.status('bob').map((e) => [e.name, e.kind, e.base.name]), [['bobs', 'disk', 'debian']]);
  const all = w.grid.status('admin');
  t.same(all.map((e) => [e.name, e.owner]), [['bobs', 'bob'], ['debian', 'alice']]);
  t.ok(all.every((e) => e.aname === undefined && e.mount === undefined), 'an admin sees no one else’s token');
  t.same(w.grid.status('carol'), []);
  t.throws(() => w.grid.status('nobody'), { code: 'COLONY_NOT_FOUND' });
});

t.test('attach checks the token; boom revokes it and calls the hooks', async (t) => {
  const w = await openWorld(t);
  const s = await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  t.throws(() => w.grid.attach(`env/debian/${'A'.repeat(32)}`), { code: 'COLONY_AUTH' });
  t.throws(() => w.grid.attach('env/debian'), { code: 'COLONY_AUTH' });
  t.throws(() => w.grid.attach(`env/other/${s.token}`), { code: 'COLONY_AUTH' });
  const env = w.grid.attach(s.aname);
  const seen: string[] = [];
  env.onBoom((e) => seen.push(`env:${e.name}`));
  w.grid.onBoom((e) => seen.push(`grid:${e.name}`));
  env.onBoom(() => { throw new Error('a failing hook does not stop the boom'); });
  await w.grid.boom('alice', 'debian');
  t.same(seen, ['env:debian', 'grid:debian']);
  t.throws(() => w.grid.attach(s.aname), { code: 'COLONY_AUTH' }, 'revoked');
  const s2 = await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  t.not(s2.token, s.token, 'a new spawn has a new token');
});

t.test('a closed grid refuses verbs', async (t) => {
  const w = await openWorld(t);
  await w.grid.close();
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'ram' }), { code: 'COLONY_CLOSED' });
  t.throws(() => w.grid.status('alice'), { code: 'COLONY_CLOSED' });
  await w.grid.close();
});

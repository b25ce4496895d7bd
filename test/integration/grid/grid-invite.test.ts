// invite: the invitee is added to the tree's users (or its metadata), and the saved
// snapshot is the invitee's alone: the inviter does not see it.
import t from 'tap';
import { readRoot } from '../../../appliance/snapshot/index.js';
import { Volume } from '../../../appliance/volume/index.js';
import { GROUP, PASSWD, getFile, openWorld, putFile } from './helpers.js';

t.test('a tree with /etc/passwd and /etc/group gets an account', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  const env = w.grid.environment('alice', 'debian');
  await putFile(env.volume, 'work.txt', 'alice was here\n');
  const r = await w.grid.invite('alice', 'bob', 'debian');
  t.equal(r.via, 'passwd');
  t.equal(r.uid, 1001);
  t.equal(r.sysGroup, 'sudo');
  t.equal(r.record.owner, 'bob');
  t.equal(r.record.name, 'debian');
  t.equal(r.record.meta['invited-by'], 'alice');

  const vol = await Volume.open(w.store, r.record.root);
  t.equal(await getFile(vol, 'etc/passwd'), PASSWD + 'bob:x:1001:1001::/home/bob:/bin/sh\n');
  t.equal(await getFile(vol, 'etc/group'), GROUP.replace('sudo:x:27:alice', 'sudo:x:27:alice,bob') + 'bob:x:1001:\n');
  const home = await vol.getattr((await vol.resolvePath('home/bob')).ino);
  t.same([home.kind, home.uid, home.gid, home.mode & 0o777], ['dir', 1001, 1001, 0o755]);
  t.equal(await getFile(vol, 'work.txt'), 'alice was here\n', 'the environment as it was');
  t.same((await readRoot(w.store, r.record.root)).meta, {}, 'no metadata needed');

  t.same(w.grid.scores('bob').map((x) => `${x.owner}/${x.name}`), ['bob/debian'], 'bob sees it');
  t.notOk(w.grid.scores('alice').some((x) => x.owner === 'bob'), 'alice does not');
  t.notOk(w.grid.scores('carol').some((x) => x.owner === 'bob'), 'nor does carol');
  await t.rejects(w.grid.spawn('alice', 'bob/debian', { cache: 'ram', as: 'peek' }), { code: 'COLONY_NOT_FOUND' });
  const bobs = await w.grid.spawn('bob', 'debian', { cache: 'ram', as: 'bobs' });
  t.equal(bobs.env.base.owner, 'bob', 'bob spawns his own copy by its bare name');

  t.equal(w.grid.status('alice')[0]?.base.name, 'debian', 'alice’s environment keeps its base name');
  t.ok(w.grid.status('alice')[0]?.unsaved, 'and what she has not saved is still unsaved');
});

t.test('a tree without a user database records the invitation in the root metadata', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'plain', { cache: 'ram' });
  const r = await w.grid.invite('alice', 'bob', 'plain');
  t.equal(r.via, 'meta');
  const root = await readRoot(w.store, r.record.root);
  t.match(root.meta['invited.bob'], /^alice \d{4}-\d\d-\d\dT/);
  const vol = await Volume.open(w.store, r.record.root);
  t.equal(await getFile(vol, 'etc/passwd'), undefined, 'no passwd invented');
  // A second invitation keeps the first one's record.
  const c = await w.grid.invite('alice', 'carol', 'plain');
  const root2 = await readRoot(w.store, c.record.root);
  t.ok(root2.meta['invited.bob'] && root2.meta['invited.carol']);
});

t.test('the name is ENV, or ENV-INVITER when the invitee has that name already', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  t.equal((await w.grid.invite('alice', 'bob', 'debian')).record.name, 'debian');
  t.equal((await w.grid.invite('alice', 'bob', 'debian')).record.name, 'debian-alice');
  t.equal((await w.grid.invite('alice', 'bob', 'debian')).record.name, 'debian-alice-2');
  const vol = await Volume.open(w.store, w.catalog.getName('bob', 'debian-alice-2').root);
  t.equal((await getFile(vol, 'etc/passwd'))!.match(/^bob:/gm)?.length, 1, 'inviting again adds no second account');
});

t.test('a wheel system gets wheel; one with neither gets a sys group', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  const env = w.grid.environment('alice', 'debian');
  await putFile(env.volume, 'ignored', '');
  const group = await env.volume.resolvePath('etc/group');
  await env.volume.setattr({ uid: 0, gid: 0 }, group.ino, { size: 0 });
  await env.volume.write({ uid: 0, gid: 0 }, group.ino, 0, Buffer.from('root:x:0:\nwheel:x:10:root\n'));
  const r = await w.grid.invite('alice', 'carol', 'debian');
  t.equal(r.sysGroup, 'wheel');
  const vol = await Volume.open(w.store, r.record.root);
  t.match(await getFile(vol, 'etc/group'), /^wheel:x:10:root,carol$/m);
});

t.test('a system account or group of the tree is never made a sudoer', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  const env = w.grid.environment('alice', 'debian');
  // daemon (uid 1), a service account with a high uid but not invite's shape, and nobody.
  const passwd = PASSWD + 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\npostgres:x:1005:1005:PostgreSQL:/var/lib/postgresql:/bin/bash\n';
  const file = await env.volume.resolvePath('etc/passwd');
  await env.volume.write({ uid: 0, gid: 0 }, file.ino, 0, Buffer.from(passwd));
  const names = ['daemon', 'postgres', 'nobody', 'root', 'sudo'];
  for (const name of names) await w.catalog.addUser({ name, role: 'user' });
  for (const name of names) {
    await t.rejects(w.grid.invite('alice', name, 'debian'), { code: 'COLONY_INVALID', message: new RegExp(`${name} is a system (account|group)`) }, `${name} is refused`);
    t.same(w.grid.scores(name).filter((r) => r.owner === name), [], `${name} gets no snapshot`);
  }
  t.equal(await getFile(env.volume, 'etc/passwd'), passwd, 'nothing was written');
  t.equal(await getFile(env.volume, 'etc/group'), GROUP, 'nor to the groups');
  const ok = await w.grid.invite('alice', 'bob', 'debian');
  t.equal(ok.uid, 1001, 'a new user is still invited');
  t.equal((await w.grid.invite('alice', 'bob', 'debian')).uid, 1001, 'and an account invite made is reused');
});

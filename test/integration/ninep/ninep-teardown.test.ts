import t from 'tap';
import { L_O_CREAT, L_O_RDWR } from '../../../appliance/ninep/constants.js';
import { MemFs } from '../../../appliance/ninep/memfs.js';
import { permission } from '../../../appliance/errors.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { errnoFor, E } from '../../../appliance/ninep/errno.js';
import { GatedFs, serve, until } from './harness.js';

t.test('a disconnect releases every fid, open handle, xattr fid and lock', async (t) => {
  const fs = new GatedFs();
  fs.makeSlow('slow', 'z');
  const s = await serve(t, { fs });
  const c = await s.client();
  const root = await c.attach('mem');
  for (let i = 0; i < 20; i++) {
    const d = await c.walk(root.fid, []);
    await c.lcreate(d.fid, `f${i}`, L_O_RDWR | L_O_CREAT, 0o644);
    await c.write(d.fid, 0, Buffer.from(`file ${i}`));
  }
  const x = await c.walk(root.fid, ['f0']);
  await c.rpc({ type: 'Txattrcreate', fid: x.fid, name: 'user.half', size: 10, flags: 0 });
  const l = await c.walk(root.fid, ['f1']);
  await c.open(l.fid, L_O_RDWR);
  t.equal((await c.rpc({ type: 'Tlock', fid: l.fid, locktype: 1, flags: 0, start: 0, length: 0, procId: 1, clientId: 'me' })).status, 0);
  const slow = await c.walk(root.fid, ['slow']);
  await c.open(slow.fid);
  void c.request({ type: 'Tread', fid: slow.fid, offset: 0, count: 1 }).reply.catch(() => {});
  await until(() => fs.waiting.length === 1, 'a request to be outstanding');
  t.equal(fs.openHandles, 22);
  t.ok(s.server.stats().fids >= 23);
  t.equal(s.server.stats().locks, 1);
  c.close();
  await until(() => s.server.stats().connections === 0, 'the session to be torn down');
  t.equal(fs.openHandles, 0, 'every handle was released');
  t.equal(fs.aborted, 1, 'the outstanding read was aborted');
  t.same(s.server.stats(), { connections: 0, fids: 0, outstanding: 0, locks: 0 });
  t.equal(fs.root.entries.get('f0')!.inode.xattrs.size, 0, 'a half-written xattr is not committed');
});

t.test('many clients connect and go; nothing accumulates', async (t) => {
  const s = await serve(t);
  s.fs.writeFile('f', 'data');
  for (let round = 0; round < 20; round++) {
    const c = await s.client();
    const root = await c.attach('mem');
    const f = await c.walk(root.fid, ['f']);
    await c.open(f.fid);
    t.equal((await c.read(f.fid, 0, 10)).toString(), 'data');
    c.close();
  }
  await until(() => s.server.stats().connections === 0, 'every session to be torn down');
  t.equal(s.fs.openHandles, 0);
});

t.test('disconnectRoute cuts off exactly the clients of a route (boom revokes a token)', async (t) => {
  const a = new MemFs(), b = new MemFs();
  let revoked = false;
  const detached: string[] = [];
  const router = routeTable({
    'env/': async (req, rest) => {
      const [name, token] = rest.split('/');
      if (name !== 'a' && name !== 'b') throw permission('no such environment');
      if (req.transport.kind !== 'unix' && token !== `tok-${name}`) throw permission('bad token');
      if (revoked && name === 'a') throw permission('revoked');
      const fs = name === 'a' ? a : b;
      return { backend: fs, root: fs.root, user: { uid: 0, gid: 0, uname: req.uname }, route: `env/${name}`, detach: () => { detached.push(name); } };
    },
  });
  const s = await serve(t, { router });
  const ca = await s.client(), cb = await s.client();
  await ca.attach('env/a/tok-a');
  await cb.attach('env/b');
  t.equal(s.server.disconnectRoute('env/a'), 1);
  revoked = true;
  await until(() => ca.closed, 'client a to be cut off');
  await until(() => detached.length === 1, 'the attach to be detached');
  t.same(detached, ['a'], 'the backend was told its attach ended');
  t.notOk(cb.closed, 'client b is still connected');
  await cb.attach('env/b');
  const again = await s.client();
  t.equal(await again.attach('env/a/tok-a').then(() => 0, errnoFor), E.EACCES, 'a revoked token gets EACCES');
  t.equal(await again.attach('env/zzz').then(() => 0, errnoFor), E.EACCES);
  t.equal(await again.attach('ctl').then(() => 0, errnoFor), E.ENOENT, 'an unknown aname gets ENOENT');
});

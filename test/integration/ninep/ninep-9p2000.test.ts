import t from 'tap';
import { decodeStats } from '../../../appliance/ninep/codec.js';
import { DMDIR, OREAD, ORCLOSE, ORDWR, OTRUNC, OWRITE, QTDIR } from '../../../appliance/ninep/constants.js';
import { serve } from './harness.js';

async function plan9(t: Parameters<typeof serve>[0]) {
  const s = await serve(t);
  const c = await s.client({ version: '9P2000', msize: 8192 });
  const root = await c.attach('mem', 'glenda');
  return { s, c, root: root.fid };
}

t.test('Tcreate, Topen, Tread/Twrite, Tstat and Tremove', async (t) => {
  const { s, c, root } = await plan9(t);
  const d = await c.walk(root, []);
  const q = await c.create(d.fid, 'hello', 0o664, ORDWR);
  t.equal(q.type, 0);
  await c.write(d.fid, 0, Buffer.from('hi there'));
  t.equal((await c.read(d.fid, 3, 100)).toString(), 'there');
  const st = await c.stat(d.fid);
  t.equal(st.name, 'hello');
  t.equal(st.length, 8);
  t.equal(st.mode, 0o664);
  t.equal(st.uid, '1000', 'numeric ids become strings when the backend has no names');
  await c.clunk(d.fid);
  const again = await c.walk(root, []);
  await t.rejects(c.create(again.fid, 'hello', 0o664, OWRITE), { code: 'COLONY_EXISTS' }, 'create refuses an existing name');
  const dir = await c.walk(root, []);
  t.equal((await c.create(dir.fid, 'sub', DMDIR | 0o775, OREAD)).type, QTDIR);
  t.equal((await c.stat(dir.fid)).mode, (DMDIR | 0o775) >>> 0);
  await t.rejects(c.create((await c.walk(root, [])).fid, 'sub2', DMDIR | 0o775, OWRITE), { code: 'COLONY_IS_DIRECTORY' });
  const tr = await c.walk(root, ['hello']);
  await c.open(tr.fid, OWRITE | OTRUNC);
  t.equal((await c.stat(tr.fid)).length, 0, 'OTRUNC truncates');
  await t.rejects(c.open((await c.walk(root, ['sub'])).fid, OWRITE), { code: 'COLONY_IS_DIRECTORY' });
  const rm = await c.walk(root, ['hello']);
  await c.remove(rm.fid);
  t.notOk(s.fs.root.entries.has('hello'));
  await t.rejects(c.clunk(rm.fid), { code: 'COLONY_CLOSED' }, 'Tremove clunks the fid');
  const root2 = await c.walk(root, []);
  await t.rejects(c.remove(root2.fid), { code: 'COLONY_PERMISSION' }, 'the attach root cannot be removed');
  await t.rejects(c.clunk(root2.fid), { code: 'COLONY_CLOSED' }, 'even a failed remove clunks');
});

t.test('ORCLOSE removes the file at clunk', async (t) => {
  const { s, c, root } = await plan9(t);
  const d = await c.walk(root, []);
  await c.create(d.fid, 'scratch', 0o600, ORDWR | ORCLOSE);
  t.ok(s.fs.root.entries.has('scratch'));
  await c.clunk(d.fid);
  t.notOk(s.fs.root.entries.has('scratch'));
});

t.test('directory reads return whole stat records; offsets must continue where the last read ended', async (t) => {
  const { s, c, root } = await plan9(t);
  for (let i = 0; i < 100; i++) s.fs.writeFile(`d/file-${String(i).padStart(3, '0')}`, 'x'.repeat(i));
  const d = await c.walk(root, ['d']);
  await c.open(d.fid, OREAD);
  const names: string[] = [];
  let offset = 0;
  for (let i = 0; i < 200; i++) {
    const data = await c.read(d.fid, offset, 300); // small: about three records a read
    if (!data.length) break;
    const stats = decodeStats(data); // throws unless the reply is whole records
    t.ok(stats.length >= 1);
    names.push(...stats.map((s) => s.name));
    offset += data.length;
  }
  t.equal(names.length, 100, 'no . or .., every file once');
  t.same(names, [...names].sort());
  await t.rejects(c.read(d.fid, 5, 300), { code: 'COLONY_INVALID' }, 'seeking in a directory is an error');
  const restart = decodeStats(await c.read(d.fid, 0, 8000));
  t.equal(restart[0]!.name, 'file-000', 'offset 0 starts again');
  t.equal(restart[5]!.length, 5);
  await t.rejects(c.read(d.fid, 0, 10), { code: 'COLONY_INVALID' }, 'a count smaller than one record');
  const all = await c.readdir((await (async () => { const f = await c.walk(root, ['d']); await c.open(f.fid, OREAD); return f; })()).fid);
  t.equal(all.length, 100, 'the client reads the whole directory');
});

t.test('Twstat renames, truncates, changes mode and mtime; refuses owner changes', async (t) => {
  const { s, c, root } = await plan9(t);
  s.fs.writeFile('f', '0123456789');
  const f = await c.walk(root, ['f']);
  const keep = { type: 0xffff, dev: 0xffffffff, qid: { type: 0xff, version: 0xffffffff, path: -1 }, mode: 0xffffffff, atime: 0xffffffff, mtime: 0xffffffff, length: -1, name: '', uid: '', gid: '', muid: '' };
  await c.rpc({ type: 'Twstat', fid: f.fid, stat: { ...keep, name: 'g' } });
  t.ok(s.fs.root.entries.has('g'));
  t.equal((await c.stat(f.fid)).name, 'g', 'the fid follows the rename');
  await c.rpc({ type: 'Twstat', fid: f.fid, stat: { ...keep, length: 3, mode: 0o600, mtime: 1_000_000 } });
  const st = await c.stat(f.fid);
  t.same([st.length, st.mode, st.mtime], [3, 0o600, 1_000_000]);
  await t.rejects(c.rpc({ type: 'Twstat', fid: f.fid, stat: { ...keep, uid: 'someone' } }), { code: 'COLONY_PERMISSION' });
  await t.rejects(c.rpc({ type: 'Twstat', fid: f.fid, stat: { ...keep, mode: DMDIR | 0o700 } }), { code: 'COLONY_INVALID' });
  const before = await c.stat(f.fid);
  await c.rpc({ type: 'Twstat', fid: f.fid, stat: keep });
  const after = await c.stat(f.fid);
  t.same([after.name, after.length, after.mode, after.mtime, after.uid, after.gid], [before.name, before.length, before.mode, before.mtime, before.uid, before.gid],
    'an all-"don\'t touch" wstat is a no-op (Plan 9 uses it as fsync)');
  t.equal(s.fs.root.entries.get('g')!.inode.size, 3, 'the file is untouched');
});

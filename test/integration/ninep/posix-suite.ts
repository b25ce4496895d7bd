// The POSIX behaviour every writable backend must show through 9P2000.L, written once
// (STYLE §2): MemFs runs it now, and the volume backend runs the same suite later:
//   posixBackendSuite(t, async () => { const v = await openVolume(...); return { backend: v, root: v.root }; });
import type { Test } from 'tap';
import type { Backend, Node } from '../../../appliance/ninep/backend.js';
import {
  AT_REMOVEDIR, GETATTR_ALL, L_O_APPEND, L_O_CREAT, L_O_EXCL, L_O_RDONLY, L_O_RDWR, L_O_TRUNC, L_O_WRONLY, QTDIR, QTSYMLINK, S_IFCHR,
  S_IFLNK, S_IFMT, S_IFREG, SETATTR_ATIME, SETATTR_MODE, SETATTR_MTIME, SETATTR_MTIME_SET, SETATTR_SIZE, V9FS_MAGIC, XATTR_CREATE, XATTR_REPLACE,
} from '../../../appliance/ninep/constants.js';
import { E, errnoFor } from '../../../appliance/ninep/errno.js';
import type { NinepClient } from '../../../appliance/ninep/client.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { serve, until } from './harness.js';

/** A fresh backend; `uid`/`gid` (default 1000) must be allowed to write in its root, as a volume enforces permissions. */
export type MakeBackend = () => Promise<{ backend: Backend; root: Node; uid?: number; gid?: number }>;

const errno = (p: Promise<unknown>) => p.then(() => 0, errnoFor);

async function readFile(c: NinepClient, dirFid: number, path: string): Promise<string> {
  const f = await c.walkPath(dirFid, path);
  await c.open(f, L_O_RDONLY);
  const data = await c.readAll(f);
  await c.clunk(f);
  return data.toString();
}

/** Writes a file through 9P, making parent directories as needed. */
async function putFile(c: NinepClient, rootFid: number, path: string, data: string, gid: number): Promise<void> {
  const names = path.split('/').filter(Boolean);
  let dir = (await c.walk(rootFid, [])).fid;
  for (const name of names.slice(0, -1)) {
    await c.mkdir(dir, name, 0o755, gid).catch((err) => { if (errnoFor(err) !== E.EEXIST) throw err; });
    const next = await c.walk(dir, [name]);
    await c.clunk(dir);
    dir = next.fid;
  }
  await c.lcreate(dir, names[names.length - 1]!, L_O_RDWR | L_O_CREAT | L_O_TRUNC, 0o644, gid);
  if (data.length) await c.write(dir, 0, Buffer.from(data));
  await c.clunk(dir);
}

export function posixBackendSuite(t: Test, make: MakeBackend): void {
  let uid = 1000;
  let gid = 1000;
  async function mounted(t: Test) {
    const made = await make();
    uid = made.uid ?? 1000;
    gid = made.gid ?? 1000;
    const s = await serve(t, { router: routeTable({ mem: async (req) => ({ backend: made.backend, root: made.root, user: { uid: req.nUname ?? uid, gid, uname: req.uname } }) }) });
    const c = await s.client();
    const root = await c.attach('mem', 'alice', uid);
    const at = async (path: string) => c.walkPath(root.fid, path);
    const put = (path: string, data: string) => putFile(c, root.fid, path, data, gid);
    return { s, c, root: root.fid, at, put };
  }

  t.test('create, write, read back, append, truncate, sparse writes', async (t) => {
    const { c, root, at } = await mounted(t);
    const d = await at('');
    const q = await c.lcreate(d, 'notes', L_O_RDWR | L_O_CREAT | L_O_EXCL, 0o640, gid);
    t.equal(q.type, 0);
    t.equal(await c.write(d, 0, Buffer.from('hello')), 5);
    t.equal((await c.read(d, 1, 3)).toString(), 'ell');
    await c.clunk(d);
    const d2 = await at('');
    t.equal(await errno(c.lcreate(d2, 'notes', L_O_RDWR | L_O_CREAT | L_O_EXCL, 0o640)), E.EEXIST);
    const a = await at('notes');
    await c.open(a, L_O_WRONLY | L_O_APPEND);
    await c.write(a, 0, Buffer.from(' world'));
    await c.clunk(a);
    t.equal(await readFile(c, root, 'notes'), 'hello world');
    const sp = await at('notes');
    await c.open(sp, L_O_RDWR);
    await c.write(sp, 1_000_000, Buffer.from('!'));
    const attr = await c.getattr(sp, GETATTR_ALL);
    t.equal(attr.size, 1_000_001);
    t.same(await c.read(sp, 500_000, 4), Buffer.alloc(4), 'holes read as zeros');
    t.equal(attr.mode & S_IFMT, S_IFREG);
    t.equal(attr.mode & 0o777, 0o640);
    t.equal(attr.uid, uid, 'the creator is the attaching user (n_uname)');
    const tr = await at('notes');
    await c.open(tr, L_O_WRONLY | L_O_TRUNC);
    t.equal((await c.getattr(tr)).size, 0);
    t.equal(await errno(c.write(root, 0, Buffer.from('x'))), E.EBADF, 'writing an unopened fid');
    const ro = await at('notes');
    await c.open(ro, L_O_RDONLY);
    t.equal(await errno(c.write(ro, 0, Buffer.from('x'))), E.EBADF, 'writing a read-only fid');
  });

  t.test('directories: mkdir, readdir with stable cookies, unlinkat, rmdir', async (t) => {
    const { c, at } = await mounted(t);
    const d = await at('');
    t.equal((await c.mkdir(d, 'dir', 0o755, gid)).type, QTDIR);
    const dir = await at('dir');
    for (let i = 0; i < 300; i++) {
      const f = await c.walk(dir, []);
      await c.lcreate(f.fid, `entry-with-a-longish-name-${i}`, L_O_WRONLY | L_O_CREAT, 0o600);
      await c.clunk(f.fid);
    }
    const lister = await at('dir');
    await c.open(lister, L_O_RDONLY);
    // Read the first page, delete everything already seen, then go on from the cookie.
    const page = await c.rpc({ type: 'Treaddir', fid: lister, offset: 0, count: 2000 });
    t.ok(page.data.length <= 2000 && page.data.length > 0);
    const all = await c.readdir(lister);
    t.equal(all.length, 302, '300 entries plus . and ..');
    t.same(all.slice(0, 2).map((e) => e.name), ['.', '..']);
    const first = all.slice(2, 100);
    for (const e of first) await c.rpc({ type: 'Tunlinkat', dirfid: dir, name: e.name, flags: 0 });
    const rest: string[] = [];
    let offset = all[99]!.offset;
    for (let i = 0; i < 100; i++) {
      const data = (await c.rpc({ type: 'Treaddir', fid: lister, offset, count: 4000 })).data;
      if (!data.length) break;
      for (let p = 0; p < data.length;) {
        offset = Number(data.readBigUInt64LE(p + 13));
        const n = data.readUInt16LE(p + 22);
        rest.push(data.subarray(p + 24, p + 24 + n).toString());
        p += 24 + n;
      }
    }
    t.same(rest, all.slice(100).map((e) => e.name), 'deleting seen entries does not disturb the cookies');
    t.equal(await errno(c.rpc({ type: 'Tunlinkat', dirfid: d, name: 'dir', flags: AT_REMOVEDIR })), E.ENOTEMPTY);
    for (const name of rest) await c.rpc({ type: 'Tunlinkat', dirfid: dir, name, flags: 0 });
    await c.rpc({ type: 'Tunlinkat', dirfid: d, name: 'dir', flags: AT_REMOVEDIR });
    t.equal(await errno(at('dir')), E.ENOENT);
  });

  t.test('symlinks, hard links, mknod, rename and renameat', async (t) => {
    const { c, at, put } = await mounted(t);
    await put('a/file', 'content');
    const d = await at('');
    const a = await at('a');
    t.equal((await c.rpc({ type: 'Tsymlink', fid: a, name: 'ln', symtgt: '../a/file', gid: 0 })).qid.type, QTSYMLINK);
    const ln = await at('a/ln');
    t.equal((await c.rpc({ type: 'Treadlink', fid: ln })).target, '../a/file');
    t.equal((await c.getattr(ln)).mode & S_IFMT, S_IFLNK);
    const file = await at('a/file');
    await c.rpc({ type: 'Tlink', dfid: d, fid: file, name: 'hard' });
    t.equal((await c.getattr(file)).nlink, 2);
    t.equal(await readFile(c, d, 'hard'), 'content');
    await c.rpc({ type: 'Tmknod', dfid: d, name: 'tty', mode: S_IFCHR | 0o620, major: 4, minor: 1, gid: 5 });
    const tty = await c.getattr(await at('tty'));
    t.equal(tty.mode & S_IFMT, S_IFCHR);
    t.equal(tty.rdev, 4 * 256 + 1);
    await c.rpc({ type: 'Trenameat', olddirfid: a, oldname: 'file', newdirfid: d, newname: 'moved' });
    t.equal(await readFile(c, d, 'moved'), 'content');
    const moved = await at('moved');
    await c.rpc({ type: 'Trename', fid: moved, dfid: a, name: 'back' });
    t.equal(await readFile(c, d, 'a/back'), 'content');
    await c.mkdir(a, 'sub');
    t.equal(await errno(c.rpc({ type: 'Trenameat', olddirfid: d, oldname: 'a', newdirfid: await at('a/sub'), newname: 'loop' })), E.EINVAL, 'a directory cannot move into itself');
    t.equal(await errno(c.rpc({ type: 'Trenameat', olddirfid: d, oldname: 'hard', newdirfid: a, newname: 'sub' })), E.EISDIR);
  });

  t.test('an open file stays readable after it is unlinked', async (t) => {
    const { c, at, put } = await mounted(t);
    await put('tmp', 'still here');
    const f = await at('tmp');
    await c.open(f, L_O_RDWR);
    await c.rpc({ type: 'Tunlinkat', dirfid: await at(''), name: 'tmp', flags: 0 });
    t.equal((await c.read(f, 0, 100)).toString(), 'still here');
    t.equal((await c.getattr(f)).nlink, 0);
    await c.write(f, 0, Buffer.from('STILL'));
    t.equal((await c.read(f, 0, 100)).toString(), 'STILL here');
  });

  t.test('setattr: size, mode, times set and set-to-now; getattr and statfs', async (t) => {
    const { c, at, put } = await mounted(t);
    await put('f', '0123456789');
    const f = await at('f');
    const base = { fid: f, mode: 0, uid: 0, gid: 0, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 };
    await c.rpc({ type: 'Tsetattr', ...base, valid: SETATTR_SIZE, size: 4 });
    await c.rpc({ type: 'Tsetattr', ...base, valid: SETATTR_MODE, mode: 0o600 });
    await c.rpc({ type: 'Tsetattr', ...base, valid: SETATTR_MTIME | SETATTR_MTIME_SET, mtimeSec: 1234, mtimeNsec: 5678 });
    let a = await c.getattr(f);
    t.equal(a.size, 4);
    t.equal(a.mode, S_IFREG | 0o600);
    t.same([a.mtimeSec, a.mtimeNsec], [1234, 5678]);
    await c.rpc({ type: 'Tsetattr', ...base, valid: SETATTR_MTIME | SETATTR_ATIME });
    a = await c.getattr(f);
    t.ok(a.mtimeSec > 1_600_000_000, 'MTIME without MTIME_SET means now');
    t.ok(a.atimeSec > 1_600_000_000);
    const st = await c.rpc({ type: 'Tstatfs', fid: f });
    t.equal(st.fstype, V9FS_MAGIC);
    t.equal(st.namelen, 255);
    await c.rpc({ type: 'Tfsync', fid: await (async () => { const g = await at('f'); await c.open(g); return g; })(), datasync: 0 });
  });

  t.test('xattrs: create, replace, list, read back, remove', async (t) => {
    const { c, at, put } = await mounted(t);
    await put('f', '');
    const setx = async (name: string, value: string, flags = 0) => {
      const x = await at('f');
      await c.rpc({ type: 'Txattrcreate', fid: x, name, size: Buffer.byteLength(value), flags });
      if (value.length) await c.write(x, 0, Buffer.from(value));
      await c.clunk(x);
    };
    const getx = async (name: string) => {
      const f = await at('f');
      const nf = c.allocFid();
      const r = await c.rpc({ type: 'Txattrwalk', fid: f, newfid: nf, name });
      const data = await c.read(nf, 0, r.size);
      await c.clunk(nf);
      return data.toString();
    };
    await setx('user.color', 'blue', XATTR_CREATE);
    await setx('user.size', 'L');
    t.equal(await getx('user.color'), 'blue');
    t.equal(await getx(''), 'user.color\0user.size\0', 'an empty name lists');
    t.equal(await errno(setx('user.color', 'red', XATTR_CREATE)), E.EEXIST);
    t.equal(await errno(setx('user.none', 'x', XATTR_REPLACE)), E.ENODATA);
    await setx('user.color', 'red', XATTR_REPLACE);
    t.equal(await getx('user.color'), 'red');
    await setx('user.color', '', XATTR_REPLACE); // what Linux sends for removexattr
    t.equal(await errno(getx('user.color')), E.ENODATA);
  });

  t.test('POSIX locks: conflicts between clients, getlock, unlock, release on disconnect', async (t) => {
    const { s, c, at, put } = await mounted(t);
    await put('db', 'x');
    const f = await at('db');
    await c.open(f, L_O_RDWR);
    const lock = (cl: NinepClient, fid: number, locktype: number, start: number, length: number, procId: number) =>
      cl.rpc({ type: 'Tlock', fid, locktype, flags: 0, start, length, procId, clientId: 'host' }).then((r) => r.status);
    t.equal(await lock(c, f, 1, 0, 100, 1), 0, 'write lock granted');
    const c2 = await s.client();
    const r2 = await c2.attach('mem');
    const f2 = await c2.walkPath(r2.fid, 'db');
    await c2.open(f2, L_O_RDWR);
    t.equal(await lock(c2, f2, 0, 50, 10, 2), 1, 'a conflicting read lock is BLOCKED');
    t.equal(await lock(c2, f2, 1, 100, 0, 2), 0, 'a lock after the range is granted');
    const g = await c2.rpc({ type: 'Tgetlock', fid: f2, locktype: 1, start: 0, length: 10, procId: 2, clientId: 'host' });
    t.same([g.locktype, g.start, g.length, g.procId], [1, 0, 100, 1], 'getlock names the holder');
    t.equal(await lock(c, f, 2, 0, 0, 1), 0, 'unlock');
    t.equal(await lock(c2, f2, 0, 50, 10, 2), 0, 'now granted');
    c2.close();
    await until(() => s.server.stats().connections === 1, 'the second client to be torn down');
    t.equal(await lock(c, f, 1, 0, 0, 1), 0, 'the other client went away and so did its locks');
    t.equal(await errno(c.rpc({ type: 'Tlock', fid: f, locktype: 9, flags: 0, start: 0, length: 0, procId: 1, clientId: '' })), E.EINVAL);
  });
}

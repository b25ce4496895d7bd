// The POSIX behaviour every writable backend must show through 9P2000.L, written once
// (STYLE §2): MemFs runs it (test/integration/ninep/ninep-dotl.test.ts) and so does the
// volume backend over a real BlockStore (test/integration/volume/volume-posix.test.ts).
// Cases that need permission checks or the environment's accounts are gated on
// `supports`, as abstract-level's suite is.
import type { Test } from 'tap';
import {
  AT_REMOVEDIR, GETATTR_ALL, L_O_APPEND, L_O_CREAT, L_O_EXCL, L_O_RDONLY, L_O_RDWR, L_O_TRUNC, L_O_WRONLY, QTDIR, QTSYMLINK, S_IFCHR,
  S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, SETATTR_ATIME, SETATTR_MODE, SETATTR_MTIME, SETATTR_MTIME_SET, SETATTR_SIZE, V9FS_MAGIC, XATTR_CREATE, XATTR_REPLACE,
} from '../../../appliance/ninep/constants.js';
import { E } from '../../../appliance/ninep/errno.js';
import type { NinepClient } from '../../../appliance/ninep/client.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { serve, until } from './harness.js';
import { chgrp, chmod, chown, errno, putFile, readFile, sizeOnly, type MakeBackend, type Supports } from './posix-ops.js';

export type { MakeBackend, Supports };

export function posixBackendSuite(t: Test, make: MakeBackend, supports: Supports = {}): void {
  let uid = 1000;
  let gid = 1000;
  async function mounted(t: Test) {
    const made = await make(t);
    uid = made.uid ?? 1000;
    gid = made.gid ?? 1000;
    const s = await serve(t, { router: routeTable({ mem: async (req) => ({ backend: made.backend, root: made.root, user: { uid: req.nUname ?? uid, gid, uname: req.uname } }) }) });
    const c = await s.client();
    const root = await c.attach('mem', 'alice', uid);
    const at = async (path: string) => c.walkPath(root.fid, path);
    const put = (path: string, data: string) => putFile(c, root.fid, path, data, gid);
    /** Another local user on the same connection, as the Linux client attaches them: empty uname, n_uname. */
    const as = async (who: number) => {
      const r = (await c.attach('mem', '', who)).fid;
      return { fid: r, at: (path: string) => c.walkPath(r, path) };
    };
    return { s, c, root: root.fid, at, put, as };
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
    const { c, at, put, as } = await mounted(t);
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
    const rootDir = await (await as(0)).at(''); // device nodes are root's to make
    await c.rpc({ type: 'Tmknod', dfid: rootDir, name: 'tty', mode: S_IFCHR | 0o620, major: 4, minor: 1, gid: 5 });
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
    const r = await c.rpc({ type: 'Tfsync', fid: await (async () => { const g = await at('f'); await c.open(g); return g; })(), datasync: 0 });
    t.equal(r.type, 'Rfsync');
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
  t.test('sockets: mknod S_IFSOCK, then link, rename, unlink, and no open', async (t) => {
    const { c, at } = await mounted(t);
    const d = await at('');
    await c.rpc({ type: 'Tmknod', dfid: d, name: 'sock', mode: S_IFSOCK | 0o755, major: 0, minor: 0, gid });
    const a = await c.getattr(await at('sock'));
    t.equal(a.mode & S_IFMT, S_IFSOCK, 'a socket node, as bind(2) makes');
    t.equal(a.mode & 0o7777, 0o755);
    await c.rpc({ type: 'Tlink', dfid: d, fid: await at('sock'), name: 'sock2' });
    t.equal((await c.getattr(await at('sock'))).nlink, 2);
    await c.rpc({ type: 'Trenameat', olddirfid: d, oldname: 'sock2', newdirfid: d, newname: 'sock3' });
    t.equal((await c.getattr(await at('sock3'))).mode & S_IFMT, S_IFSOCK);
    t.equal(await errno(c.mkdir(d, 'sock', 0o755, gid)), E.EEXIST, 'mkdir over a socket');
    t.equal(await errno(c.open(await at('sock'), L_O_RDONLY)), E.ENXIO, 'open(2) of a socket is ENXIO');
    await c.rpc({ type: 'Tunlinkat', dirfid: d, name: 'sock3', flags: 0 });
    await c.rpc({ type: 'Tunlinkat', dirfid: d, name: 'sock', flags: 0 });
    t.equal(await errno(at('sock')), E.ENOENT);
  });

  t.test('rename onto a name whose file has other links moves that file\'s ctime', async (t) => {
    const { c, at, put } = await mounted(t);
    await put('src', 'new');
    await put('dst', 'old');
    const d = await at('');
    await c.rpc({ type: 'Tlink', dfid: d, fid: await at('dst'), name: 'keep' });
    const before = await c.getattr(await at('keep'));
    await new Promise((r) => setTimeout(r, 20)); // let the clock move past `before`
    await c.rpc({ type: 'Trenameat', olddirfid: d, oldname: 'src', newdirfid: d, newname: 'dst' });
    const after = await c.getattr(await at('keep'));
    t.equal(after.nlink, 1, 'the surviving name lost a link');
    t.ok(after.ctimeSec * 1e9 + after.ctimeNsec > before.ctimeSec * 1e9 + before.ctimeNsec, 'and its ctime moved, as unlink would move it');
    t.equal(await readFile(c, d, 'keep'), 'old');
    t.equal(await readFile(c, d, 'dst'), 'new');
  });

  t.test('ftruncate through a fid open for writing, on a file whose mode denies writing', { skip: !supports.permissions && 'no permission checks' }, async (t) => {
    const { c, at } = await mounted(t);
    const f = await at('');
    await c.lcreate(f, 'ro', L_O_RDWR | L_O_CREAT | L_O_EXCL, 0o444, gid); // open(O_CREAT|O_RDWR, 0444): the fd may write
    await c.write(f, 0, Buffer.from('0123456789'));
    await c.rpc(sizeOnly(f, 4));
    t.equal((await c.getattr(f)).size, 4, 'ftruncate(fd) works: the fid is open for writing');
    t.equal(await errno(c.rpc(sizeOnly(await at('ro'), 2))), E.EACCES, 'truncate(path) is checked against the mode');
    const r = await at('ro');
    await c.open(r, L_O_RDONLY);
    t.equal(await errno(c.rpc(sizeOnly(r, 2))), E.EACCES, 'a fid open only for reading does not count');
    t.equal((await c.getattr(r)).size, 4);
  });

  t.test('supplementary groups come from the environment\'s /etc/group', { skip: !supports.groups && 'no accounts' }, async (t) => {
    const { c, as } = await mounted(t);
    const root = await as(0);
    const alice = await as(1000);
    const bob = await as(1001);
    const d = await root.at('');
    await c.lcreate(d, 'staff-only', L_O_RDWR | L_O_CREAT, 0o640, 50);
    await c.write(d, 0, Buffer.from('for staff'));
    await c.clunk(d);
    t.equal(await readFile(c, alice.fid, 'staff-only'), 'for staff', 'a member of staff reads a group-readable file');
    t.equal(await errno(readFile(c, bob.fid, 'staff-only')), E.EACCES, 'a non-member is refused');
    const mine = await alice.at('');
    await c.lcreate(mine, 'alices', L_O_RDWR | L_O_CREAT, 0o644, 1000);
    await c.rpc(chgrp(mine, 50));
    t.equal((await c.getattr(mine)).gid, 50, 'chown(-1, staff) by a member of staff');
    const his = await bob.at('');
    await c.lcreate(his, 'bobs', L_O_RDWR | L_O_CREAT, 0o644, 1001);
    t.equal(await errno(c.rpc(chgrp(his, 50))), E.EPERM, 'chown(-1, staff) by a non-member is EPERM');
    // Membership follows /etc/group as it is now: add bob to staff, as gpasswd would.
    const g = await root.at('etc/group');
    await c.open(g, L_O_RDWR | L_O_TRUNC);
    await c.write(g, 0, Buffer.from('root:x:0:\nstaff:x:50:alice,bob\n'));
    await c.clunk(g);
    t.equal(await readFile(c, bob.fid, 'staff-only'), 'for staff', 'a change to /etc/group takes effect on the next request');
  });

  t.test('a uid with no account: the server does not deny on group grounds what the client kernel checked', { skip: !supports.groups && 'no accounts' }, async (t) => {
    const { c, as } = await mounted(t);
    const root = await as(0);
    const stranger = await as(2000);
    const d = await root.at('');
    await c.lcreate(d, 'g', L_O_RDWR | L_O_CREAT, 0o640, 50);
    await c.clunk(d);
    t.equal(await readFile(c, stranger.fid, 'g'), '', 'group-readable: the caller may be in the group, as its kernel decided');
    const own = await stranger.at('');
    await c.lcreate(own, 'own', L_O_RDWR | L_O_CREAT, 0o644, 2000);
    await c.rpc(chgrp(own, 50));
    t.equal((await c.getattr(own)).gid, 50, 'chown(-1, G) of its own file');
    const d2 = await root.at('');
    await c.lcreate(d2, 'private', L_O_RDWR | L_O_CREAT, 0o600, 50);
    t.equal(await errno(readFile(c, stranger.fid, 'private')), E.EACCES, 'neither group nor other bits allow it: refused');
  });

  t.test('setuid and setgid are dropped as Linux drops them', { skip: !supports.groups && 'no accounts' }, async (t) => {
    const { c, as } = await mounted(t);
    const root = await as(0);
    const alice = await as(1000);
    const bob = await as(1001);
    const make = async (name: string, mode: number, group: number) => {
      const d = await root.at('');
      await c.lcreate(d, name, L_O_RDWR | L_O_CREAT, 0o666, group);
      await c.rpc(chmod(d, mode));
      await c.clunk(d);
    };
    const writeAs = async (who: { at: (p: string) => Promise<number> }, name: string) => {
      const f = await who.at(name);
      await c.open(f, L_O_WRONLY);
      await c.write(f, 0, Buffer.from('x'));
      const mode = (await c.getattr(f)).mode & 0o7777;
      await c.clunk(f);
      return mode;
    };
    await make('exec', 0o6777, 50);
    t.equal(await writeAs(alice, 'exec'), 0o0777, 'a write by a member drops setuid, and setgid with group execute');
    await make('lock', 0o2666, 50);
    t.equal(await writeAs(alice, 'lock'), 0o2666, 'setgid without group execute stays for a member of the group');
    t.equal(await writeAs(bob, 'lock'), 0o0666, 'and goes for a non-member');
    await make('rootw', 0o6777, 50);
    t.equal(await writeAs(root, 'rootw'), 0o6777, 'root (CAP_FSETID) keeps both');
    await make('own', 0o4755, 0);
    const f = await root.at('own');
    await c.rpc(chown(f, 1000));
    t.equal((await c.getattr(f)).mode & 0o7777, 0o0755, 'chown drops setuid even for root');
    const mine = await bob.at('');
    await c.lcreate(mine, 'bobs', L_O_RDWR | L_O_CREAT, 0o644, 1001);
    await c.rpc(chmod(mine, 0o2755));
    t.equal((await c.getattr(mine)).mode & 0o7777, 0o2755, 'chmod g+s in his own group');
    const theirs = await root.at('');
    await c.lcreate(theirs, 'for-bob', L_O_RDWR | L_O_CREAT, 0o644, 50);
    await c.rpc(chown(theirs, 1001));
    t.equal(await errno(c.rpc(chmod(await bob.at('for-bob'), 0o2755))), 0);
    t.equal((await c.getattr(theirs)).mode & 0o7777, 0o0755, 'chmod g+s by an owner outside the file\'s group drops setgid');
  });
}

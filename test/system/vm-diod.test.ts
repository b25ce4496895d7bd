// The v9fs harness proven against diod, the reference 9P2000.L server: the real Linux client
// in a QEMU guest does everyday file work (scripts/vm/guest/workout.sh), and the host then
// checks the exported directory for what the guest wrote.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tmp.js';
import { runGuest, startDiod, requireVm, vmScripts, type MountOptions } from '../helpers/vm.js';

if (await requireVm(t)) {
  for (const mount of [
    { access: 'user', cache: 'none' },
    { access: 'client', cache: 'mmap' },
  ] satisfies MountOptions[]) {
    t.test(`workout over diod, access=${mount.access} cache=${mount.cache}`, async (t) => {
      const dir = await tmpDir(t, 'colony-vm-diod-');
      const exportDir = join(dir, 'export');
      await mkdir(exportDir);
      const diod = await startDiod(t, dir, exportDir);
      const r = await runGuest({
        socket: diod.socket,
        mount: { version: '9p2000.L', aname: diod.aname, uname: 'root', msize: 65536, ...mount },
        script: `bash ${join(vmScripts, 'guest/workout.sh')}`,
        timeoutMs: 420_000,
      });
      t.ok(r.mounted, 'mounted', { bootLog: r.bootLog });
      t.equal(r.rc, 0, 'the guest workout succeeded', { output: r.output, diodLog: diod.log() });
      t.match(r.output, /^workout=ok$/m);
      t.comment(`boot ${r.ms.boot} ms, script ${r.ms.script} ms`);
      const said = Object.fromEntries([...r.output.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
      await checkHostView(t, join(exportDir, 'work'), said);
    });
  }

  t.test('two servers in one VM: /mnt and a second mount under /tmp', async (t) => {
    const dir = await tmpDir(t, 'colony-vm-two-');
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    await Promise.all([mkdir(join(dir, 'sa')), mkdir(join(dir, 'sb')), mkdir(a), mkdir(b)]);
    const first = await startDiod(t, join(dir, 'sa'), a);
    const second = await startDiod(t, join(dir, 'sb'), b);
    const r = await runGuest({
      socket: first.socket,
      mount: { aname: first.aname, uname: 'root' },
      also: [{ socket: second.socket, mount: { aname: second.aname, uname: 'root', cache: 'loose' }, at: '/tmp/ref' }],
      script: 'echo one >/mnt/f && echo two >/tmp/ref/f && cp /mnt/f /tmp/ref/copied && mount | grep -c "type 9p (.*trans=fd"',
      timeoutMs: 180_000,
    });
    t.ok(r.mounted, 'both mounted', { bootLog: r.bootLog });
    t.equal(r.rc, 0, r.output);
    t.equal(r.output.trim(), '2', 'two trans=fd mounts');
    t.equal(await readFile(join(a, 'f'), 'utf8'), 'one\n');
    t.equal(await readFile(join(b, 'f'), 'utf8'), 'two\n');
    t.equal(await readFile(join(b, 'copied'), 'utf8'), 'one\n');
  });
}

/** What the guest wrote, as the host sees it in diod's export. */
async function checkHostView(t: Test, work: string, said: Record<string, string | undefined>) {
  const text = (p: string) => readFile(join(work, p), 'utf8');
  t.same(await readFile(join(work, 'a.txt')), Buffer.from('hXY\0\0\0\0\0\0\0', 'latin1'), 'write, append, truncate and overwrite');
  t.equal(await text('deep/er/still/here/leaf'), 'deep\n', 'mkdir -p');
  t.equal(await text('r2'), 'r\n', 'renamed file');
  t.equal(await text('target'), 'new\n', 'rename over an existing file');
  t.equal(await text('emptydir/f'), 'in\n', 'renamed directories');
  for (const gone of ['r1', 'over', 'dir1', 'dir2']) {
    await t.rejects(lstat(join(work, gone)), { code: 'ENOENT' }, `${gone} is gone`);
  }
  const [l0, l1] = await Promise.all([stat(join(work, 'l0')), stat(join(work, 'l1'))]);
  t.equal(l0.ino, l1.ino, 'hard link shares the inode');
  t.equal(l0.nlink, 2);
  t.equal(await readlink(join(work, 'sl')), 'l0', 'symlink target');
  t.equal(await readlink(join(work, 'dirlink')), 'deep/er');
  t.equal((await stat(join(work, 'mode'))).mode & 0o7777, 0o700, 'chmod');
  const owned = await stat(join(work, 'owned'));
  t.same([owned.uid, owned.gid], [1000, 1000], 'chown');
  t.ok((await lstat(join(work, 'fifo'))).isFIFO(), 'mkfifo');
  t.ok((await lstat(join(work, 'fifo2'))).isFIFO(), 'mknod p');
  const xattr = spawnSync('getfattr', ['--only-values', '-n', 'user.colony', join(work, 'xa')], { encoding: 'utf8' });
  t.equal(xattr.stdout, 'hello', 'xattr');
  const sparse = await stat(join(work, 'sparse'));
  t.equal(sparse.size, 4096 * 25601, 'sparse size');
  t.ok(sparse.blocks < 64, `sparse file stays sparse (${sparse.blocks} blocks)`);
  t.equal(await sha256(join(work, 'big')), said.big_sha256, '64 MiB file: host checksum equals the guest one');
  const src = '/usr/share/perl5/Debconf';
  t.same(await treeOf(join(work, 'tree')), await treeOf(src), `cp -a of ${src}: same tree on the host`);
  t.equal(Number(said.tree_entries), (await treeOf(src)).length + 1, 'find counted every entry');
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (b) => h.update(b)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** Names, types, modes and contents of a tree, sorted. */
async function treeOf(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(root, { recursive: true })).sort()) {
    const p = join(root, name);
    const s = await lstat(p);
    const what = s.isSymbolicLink() ? `-> ${await readlink(p)}`
      : s.isFile() ? createHash('sha256').update(await readFile(p)).digest('hex') : s.isDirectory() ? 'dir' : 'other';
    out.push(`${name} ${(s.mode & 0o7777).toString(8)} ${what}`);
  }
  return out;
}

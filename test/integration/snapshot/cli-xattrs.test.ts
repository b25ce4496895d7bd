// `colony import` and `colony export` keep xattrs exactly on a machine without the attr
// tools: the CLI runs with a PATH that has no getfattr or setfattr (only what a fresh Debian
// has: perl from perl-base, mknod and tar from coreutils). The tree holds user.* names,
// binary values, an xattr name that is not UTF-8, and files whose own names (or whose
// parent's) are not UTF-8. getfattr, run by the test itself, is the independent judge.
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { ensureApt, manifest } from './fixture.js';

ensureApt('attr'); // for the test's own setfattr and getfattr, never for the CLI

const latin1 = (s: string) => Buffer.from(s, 'latin1'); // "é" as the single byte 0xe9: not UTF-8

/** A bin directory with only the programs a fresh Debian 12 has that export uses. */
async function bareBin(dir: string): Promise<string> {
  await mkdir(dir);
  for (const tool of ['perl', 'mknod', 'tar']) await symlink(execFileSync('which', [tool]).toString().trim(), join(dir, tool));
  return dir;
}

/** setfattr --restore input: names escaped as \ooo, values in base64, so any byte is exact. */
function restoreInput(items: Array<{ path: Buffer; attrs: Array<[Buffer, Buffer]> }>): Buffer {
  const esc = (b: Buffer) => [...b].map((c) => (c < 0x21 || c > 0x7e || c === 0x5c || c === 0x3d ? `\\${c.toString(8).padStart(3, '0')}` : String.fromCharCode(c))).join('');
  return Buffer.from(items.map(({ path, attrs }) => `# file: ${esc(path)}\n${attrs.map(([n, v]) => `${esc(n)}=0s${v.toString('base64')}\n`).join('')}\n`).join(''), 'latin1');
}

t.test('import and export keep xattrs exactly without getfattr or setfattr on the PATH', async (t) => {
  const base = await tmpDir(t);
  const env = { COLONY_DATA: join(base, 'var'), PATH: await bareBin(join(base, 'bin')) };
  const src = join(base, 'src');
  await mkdir(join(src, 'dir'), { recursive: true });
  const oddDir = Buffer.concat([latin1(`${src}/r`), latin1('\xe9'), latin1('pertoire')]);
  await mkdir(oddDir);
  await writeFile(join(src, 'plain'), 'plain file\n');
  await writeFile(join(src, 'odd-attr-name'), 'its xattr name is not UTF-8\n');
  await writeFile(latin1(`${src}/caf\xe9`), 'its own name is not UTF-8\n');
  await writeFile(Buffer.concat([oddDir, latin1('/inside')]), 'its parent is not UTF-8\n');
  await symlink('plain', join(src, 'link-to-plain'));
  const binary = Buffer.from([0, 1, 0xff, 0x0a, 0x3d, 0x5c, 0, 0x80]);
  const name = (s: string) => latin1(s);
  execFileSync('setfattr', ['--restore=-'], {
    input: restoreInput([
      { path: latin1(src), attrs: [[name('user.top'), Buffer.from('on the top')]] },
      { path: latin1(join(src, 'plain')), attrs: [[name('user.text'), Buffer.from('hello')], [name('user.binary'), binary], [name('user.empty'), Buffer.alloc(0)]] },
      { path: latin1(join(src, 'odd-attr-name')), attrs: [[name('user.caf\xe9'), binary], [name('user.ok'), Buffer.from('x')]] },
      { path: latin1(`${src}/caf\xe9`), attrs: [[name('user.on-odd-file'), binary]] },
      { path: Buffer.concat([oddDir, latin1('/inside')]), attrs: [[name('user.under-odd-dir'), Buffer.from('deep')]] },
      { path: oddDir, attrs: [[name('user.odd-dir'), Buffer.from('d')]] },
      { path: latin1(join(src, 'dir')), attrs: [[name('user.big'), Buffer.alloc(4000, 0xa5)]] },
    ]),
  });
  const before = await manifest(src);
  t.ok(before.some((l) => l.includes('user.caf\xe9=0x0001ff0a3d5c0080')), 'the source has the non-UTF-8 xattr name with its binary value');

  const imported = await runCli(['import', src, 'attrs'], { env });
  t.equal(imported.code, 0, imported.stderr);
  t.notMatch(imported.stderr, /getfattr|not installed/);

  const out = join(base, 'out');
  const exported = await runCli(['export', 'attrs', out], { env });
  t.equal(exported.code, 0, exported.stderr);
  t.same(await manifest(out), before, 'every xattr (names, binary values), mode, owner and ns mtime as it was');

  const again = await runCli(['import', out, 'attrs-again'], { env });
  t.equal(again.code, 0, again.stderr);
  const diff = await runCli(['diff', 'attrs', 'attrs-again'], { env });
  t.equal(diff.code, 0, diff.stderr);
  t.equal(diff.stdout.toString(), '', 'the export imports to the same tree (roots differ only by creation time)');
});

t.test('a tar export through the CLI names the sockets it leaves out', async (t) => {
  const base = await tmpDir(t);
  const env = { COLONY_DATA: join(base, 'var'), PATH: await bareBin(join(base, 'bin')) };
  const src = join(base, 'src');
  await mkdir(src);
  await writeFile(join(src, 'file'), 'x');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(join(src, 'sock'), () => resolve()));
  const imported = await runCli(['import', src, 'with-socket'], { env });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  t.equal(imported.code, 0, imported.stderr);
  const tar = await runCli(['export', 'with-socket', join(base, 'out.tar')], { env });
  t.equal(tar.code, 0, tar.stderr);
  t.match(tar.stderr, /1 socket ignored \(tar has no socket type\)/);
  t.same(execFileSync('tar', ['-tf', join(base, 'out.tar')]).toString().split('\n').filter(Boolean).sort(), ['./', './file']);
});

// import, export, scores, users and diff from the command line, as a newcomer uses them.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../helpers/cli.js';
import { manifest } from '../../helpers/manifest.js';
import { tmpDir } from '../../helpers/tmp.js';

async function sampleTree(dir: string) {
  await mkdir(join(dir, 'etc'), { recursive: true });
  await writeFile(join(dir, 'etc/hostname'), 'colony\n');
  await writeFile(join(dir, 'big.bin'), Buffer.alloc(300_000, 9));
  await symlink('etc/hostname', join(dir, 'link'));
}

t.test('import a directory and a tarball, list, export, diff', async (t) => {
  const base = await tmpDir(t);
  const env = { COLONY_DATA: join(base, 'var') };
  const src = join(base, 'src');
  await sampleTree(src);

  const first = await runCli(['import', src, 'tree', '--comment', 'first'], { env });
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout.toString(), /^imported admin\/tree b3:[0-9a-f]{64}\n/);
  t.match(first.stderr, /created the first admin user 'admin'; its one-time password is in \S+first-admin-password/, 'the first admin is created; piped, its password goes to a file, not the stream');
  t.match(await readFile(join(base, 'var', 'first-admin-password'), 'utf8'), /^\S{20,}\n$/);

  const tarball = join(base, 'src.tar');
  execFileSync('tar', ['-C', src, '-cf', tarball, '.']);
  const fromTar = await runCli(['import', '-', 'tree-tar'], { env, input: await readFile(tarball) });
  t.equal(fromTar.code, 0, fromTar.stderr);

  const scores = await runCli(['scores', '--json'], { env });
  const list = JSON.parse(scores.stdout.toString()) as Array<{ name: string; root: string }>;
  t.same(list.map((r) => r.name).sort(), ['tree', 'tree-tar']);

  const out = join(base, 'out');
  const exp = await runCli(['export', 'tree', out], { env });
  t.equal(exp.code, 0, exp.stderr);
  t.same(await manifest(out, { mtime: true }), await manifest(src, { mtime: true }), 'export gives back the same tree');

  const again = await runCli(['export', 'tree', out], { env });
  t.equal(again.code, 1);
  t.match(again.stderr, /not empty/i, 'a non-empty destination is refused');
  t.equal((await runCli(['export', 'tree', out, '--force'], { env })).code, 0);

  const tarOut = await runCli(['export', 'tree', '-'], { env });
  t.equal(tarOut.code, 0);
  const listing = execFileSync('tar', ['-tf', '-'], { input: tarOut.stdout }).toString();
  t.match(listing, /etc\/hostname/);

  await writeFile(join(src, 'etc/hostname'), 'changed\n');
  await writeFile(join(src, 'new'), 'new\n');
  t.equal((await runCli(['import', src, 'tree2'], { env })).code, 0);
  const d = await runCli(['diff', 'tree', 'tree2'], { env });
  t.equal(d.code, 0, d.stderr);
  t.match(d.stdout.toString(), /^M etc\/hostname$/m);
  t.match(d.stdout.toString(), /^\+ new$/m);
  void readdir;
});

t.test('names are immutable and checked; errors are clear and register nothing', async (t) => {
  const base = await tmpDir(t);
  const env = { COLONY_DATA: join(base, 'var') };
  const src = join(base, 'src');
  await sampleTree(src);
  t.equal((await runCli(['import', src, 'x'], { env })).code, 0);
  const dup = await runCli(['import', src, 'x'], { env });
  t.equal(dup.code, 1);
  t.match(dup.stderr, /COLONY_EXISTS: .*names are immutable/);
  const bad = await runCli(['import', src, 'has space'], { env });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /COLONY_INVALID/);
  const missing = await runCli(['import', join(base, 'nope'), 'y'], { env });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /COLONY_NOT_FOUND: reading .*nope/);
  const truncated = await runCli(['import', '-', 'z'], { env, input: Buffer.alloc(700, 0x41) });
  t.equal(truncated.code, 1, truncated.stderr);
  const names = JSON.parse((await runCli(['scores', '--json'], { env })).stdout.toString()) as Array<{ name: string }>;
  t.same(names.map((n) => n.name), ['x'], 'failed imports registered nothing');
  const unknown = await runCli(['export', 'nothing', join(base, 'o')], { env });
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /COLONY_NOT_FOUND/);
});

t.test('users: add with a password and a key, list, and scores per user', async (t) => {
  const base = await tmpDir(t);
  const env = { COLONY_DATA: join(base, 'var') };
  const keyFile = join(base, 'id.pub');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(base, 'id')]);
  const add = await runCli(['users', 'add', 'alice', '--password-stdin', '--key', keyFile], { env, input: 'secret\n' });
  t.equal(add.code, 0, add.stderr);
  t.match(add.stdout.toString(), /added user alice with 1 key\(s\) and a password/);
  const list = JSON.parse((await runCli(['users', 'list', '--json'], { env })).stdout.toString()) as Array<{ name: string; role: string }>;
  t.same(list.map((u) => [u.name, u.role]), [['admin', 'admin'], ['alice', 'user']]);
  const src = join(base, 'src');
  await sampleTree(src);
  t.equal((await runCli(['import', src, 'mine', '--user', 'alice'], { env })).code, 0);
  t.equal((await runCli(['import', src, 'theirs'], { env })).code, 0);
  const aliceSees = JSON.parse((await runCli(['scores', '--json', '--user', 'alice'], { env })).stdout.toString()) as Array<{ name: string }>;
  t.same(aliceSees.map((r) => r.name), ['mine'], "alice sees only her own names");
  const noSuch = await runCli(['scores', '--user', 'mallory'], { env });
  t.equal(noSuch.code, 1);
  t.match(noSuch.stderr, /COLONY_NOT_FOUND/);
  const pw = await runCli(['users', 'passwd', 'alice'], { env, input: 'another\n' });
  t.equal(pw.code, 0, pw.stderr);
});

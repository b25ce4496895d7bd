// The harness's pure parts: the per-run archive, the mount option string, and the reading of
// the guest console and of the checklist's TAP. No VM is booted here.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workoutProblems } from '../../scripts/vm/workout-check.js';
import { tmpDir } from '../helpers/tmp.js';
import { guestPath, mountOptionString, newcArchive, parseConsole, parseTap, scriptWithEnv, tcpMountCommand } from '../helpers/vm.js';
import { guestMountLine, parseSpawn } from '../helpers/colony-server.js';

t.test('newcArchive is read back by cpio', async (t) => {
  const dir = await tmpDir(t, 'colony-vm-cpio-');
  const archive = newcArchive([
    { name: 'run' },
    { name: 'run/colony' },
    { name: 'run/colony/mounts', data: '9p /mnt version=9p2000.L\n' },
    { name: 'run/colony/script.sh', data: 'echo hi\n', mode: 0o755 },
    { name: 'odd', data: Buffer.from([0, 1, 2]) },
  ]);
  t.equal(archive.length % 4, 0, 'entries are padded to 4 bytes');
  await writeFile(join(dir, 'a.cpio'), archive);
  const out = join(dir, 'out');
  await mkdir(out);
  const r = spawnSync('cpio', ['-i', '-d', '--quiet', '-F', join(dir, 'a.cpio')], { cwd: out, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(await readFile(join(out, 'run/colony/mounts'), 'utf8'), '9p /mnt version=9p2000.L\n');
  t.equal(await readFile(join(out, 'run/colony/script.sh'), 'utf8'), 'echo hi\n');
  t.same(await readFile(join(out, 'odd')), Buffer.from([0, 1, 2]));
});

t.test('mountOptionString', async (t) => {
  t.equal(mountOptionString(), 'version=9p2000.L');
  t.equal(
    mountOptionString({ version: '9p2000', msize: 65536, access: 'user', cache: 'none', uname: 'root', aname: '/x', extra: 'noxattr' }),
    'version=9p2000,msize=65536,access=user,cache=none,uname=root,aname=/x,noxattr',
  );
  t.equal(mountOptionString({ access: 1000 }), 'version=9p2000.L,access=1000');
  t.throws(() => mountOptionString({ aname: '/a b' }), TypeError);
});

t.test('parseConsole splits the script output from the boot log', async (t) => {
  const console = [
    'SeaBIOS noise', '@@MOUNT ok', '@@BEGIN', 'line one', '[    3.141593] 9pnet: a kernel line', 'line two', '', '@@END rc=3', '@@DONE', '',
  ].join('\r\n');
  const r = parseConsole(console, '', { boot: 1, script: 2, total: 3 });
  t.equal(r.rc, 3);
  t.equal(r.mounted, true);
  t.equal(r.output, 'line one\nline two');
  t.match(r.bootLog, /9pnet: a kernel line/);
  t.match(r.bootLog, /SeaBIOS noise/);

  const failed = parseConsole('@@MOUNT fail /mnt\n@@DONE\n', 'qemu said', { boot: 1, script: 0, total: 1 });
  t.equal(failed.mounted, false);
  t.equal(failed.rc, -1);
  t.match(failed.bootLog, /qemu said/);

  const unterminated = parseConsole('@@MOUNT ok\n@@BEGIN\nno newline at the end\n@@END rc=0\n', '', { boot: 1, script: 1, total: 1 });
  t.equal(unterminated.output, 'no newline at the end');
  t.equal(unterminated.rc, 0);

  const cut = parseConsole('@@MOUNT ok\n@@BEGIN\npartial\n', '', { boot: 1, script: 0, total: 1 });
  t.match(cut.output, /without @@END/);
});

t.test('parseTap reads the checklist lines', async (t) => {
  const tap = parseTap(['# rename', 'ok 1 - a', 'not ok 2 - b: EINVAL # want EINVAL, got OK', 'ok 3 - c # note', 'not ok 4 - d # TODO client limit', '1..4'].join('\n'));
  t.equal(tap.plan, 4);
  t.same(tap.pass, ['a', 'c']);
  t.same(tap.fail, ['b: EINVAL']);
  t.same(tap.todo, ['d']);
  t.equal(tap.results[1]?.detail, 'want EINVAL, got OK');
});

t.test('workoutProblems finds everything missing in an empty directory', async (t) => {
  const dir = await tmpDir(t, 'colony-vm-check-');
  const problems = await workoutProblems(dir, { big_sha256: 'x', tree_entries: '1' });
  t.ok(problems.length >= 15, `${problems.length} problems reported`);
  t.match(problems.join('\n'), /a\.txt[\s\S]*big file[\s\S]*cp -a/);
});

t.test('the mount line spawn prints becomes the guest mount line: host and port filled in, the mode appended once', async (t) => {
  const output = [
    'spawned work (ram cache, 100.0 MiB) from admin/seed b3:dc777e6841a6…',
    'aname: env/work/T0k-en_x',
    'mount: mount -t 9p -o trans=tcp,port=5640,version=9p2000.L,access=user,aname=env/work/T0k-en_x HOST /mnt',
  ].join('\n');
  const spawned = parseSpawn(output);
  t.same(spawned, { aname: 'env/work/T0k-en_x', mount: 'mount -t 9p -o trans=tcp,port=5640,version=9p2000.L,access=user,aname=env/work/T0k-en_x HOST /mnt' });
  t.equal(guestMountLine(spawned.mount, 40123), 'mount -t 9p -o trans=tcp,port=40123,version=9p2000.L,access=user,aname=env/work/T0k-en_x 10.0.2.100 /mnt');
  t.equal(
    guestMountLine(spawned.mount, 40123, { msize: 262144, access: 'user', cache: 'none' }),
    'mount -t 9p -o trans=tcp,port=40123,version=9p2000.L,access=user,aname=env/work/T0k-en_x,msize=262144,cache=none 10.0.2.100 /mnt',
    'an option the line already has is not repeated',
  );
  t.match(guestMountLine(spawned.mount, 1, { access: 'client' }), /access=user,aname=\S+,access=client /, 'a different access= comes after, where the kernel takes the last');
  t.equal(tcpMountCommand(guestMountLine(spawned.mount, 1)), guestMountLine(spawned.mount, 1), 'the harness accepts it');
  t.throws(() => parseSpawn('error: no such name'), /no aname or mount line/);
  t.throws(() => guestMountLine('mount -t 9p -o trans=tcp,version=9p2000.L HOST /mnt', 1), /no port=/);
  t.throws(() => tcpMountCommand('mount -t 9p -o trans=tcp,port=1 example.org /mnt'), /10\.0\.2\.100/);
});

t.test('scriptWithEnv exports COLONY_REPO and the run\'s variables, quoted; guestPath maps the host\'s /tmp', async (t) => {
  const s = scriptWithEnv({ script: 'echo "$A"\n', env: { A: "it's" } });
  t.match(s, /^export COLONY_REPO='\/[^']+'\n/);
  t.match(s, /export A='it'\\''s'\necho "\$A"\n$/);
  const r = spawnSync('bash', ['-c', s], { encoding: 'utf8' });
  t.equal(r.stdout, "it's\n");
  t.throws(() => scriptWithEnv({ script: '', env: { 'A-B': 'x' } }), TypeError);
  t.equal(guestPath('/tmp/x/y'), '/run/host-tmp/x/y');
  t.equal(guestPath('/work/main'), '/work/main');
  t.equal(guestPath('/tmpfoo'), '/tmpfoo');
});

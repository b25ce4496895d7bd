// A snapshot into and out of a running appliance over its SSH console, the only way in
// that a flashed one has: `ssh -p 2222 USER@HOST import NAME < tree.tar` and `export NAME >
// tree.tar`, with the real supervisor (`colony serve`), the OpenSSH client (through
// sshpass) and GNU tar making and reading the archives.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startSupervisor, type ColonySupervisor } from '../../helpers/colony-server.js';
import { passwordOnly, runSshClient, sshOptions } from '../../helpers/openssh.js';

// The killed-client test waits for the supervisor's info lines; .ci/run exports
// COLONY_LOG_LEVEL=warn, which startSupervisor would pass on.
process.env.COLONY_LOG_LEVEL = 'info';

interface Run { code: number | null; stdout: Buffer; stderr: string }

function sshArgs(sup: ColonySupervisor, user: string, password: string, command?: string): string[] {
  return ['-p', password, 'ssh', ...sshOptions(), '-T', ...passwordOnly(), '-p', String(sup.sshPort), `${user}@127.0.0.1`, ...(command ? [command] : [])];
}

/** One OpenSSH exec with binary stdin and stdout (stdin /dev/null without `input`). */
function ssh(sup: ColonySupervisor, user: string, password: string, command: string, input?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('sshpass', sshArgs(sup, user, password, command), { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout: Buffer.concat(out), stderr }); });
    if (input) { child.stdin!.on('error', () => {}); child.stdin!.end(input); }
  });
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('import, scores, spawn, export, and every refusal', async (t) => {
  const sup = await startSupervisor(t);
  const admin = (command: string, input?: Buffer) => ssh(sup, 'admin', sup.password, command, input);
  const scores = async (run: (c: string) => Promise<Run>) => (await run('scores')).stdout.toString();
  const work = await mkdtemp(join(process.env.COLONY_TEST_TMP ?? tmpdir(), 'colony-ssh-import-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));

  // The tree: a small file, a 300 KiB one (several data blocks), a symlink, a subdirectory.
  const tree = join(work, 'tree');
  const big = randomBytes(300 * 1024);
  await mkdir(join(tree, 'sub'), { recursive: true });
  await writeFile(join(tree, 'hello.txt'), 'hello over ssh\n');
  await writeFile(join(tree, 'sub', 'big.bin'), big);
  await symlink('../hello.txt', join(tree, 'sub', 'link'));
  const tar = execFileSync('tar', ['-C', tree, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  const tgz = execFileSync('tar', ['-C', tree, '-czf', '-', '.'], { maxBuffer: 64 << 20 });

  const imported = await admin('import tree1', tar);
  t.equal(imported.code, 0, imported.stderr);
  t.match(imported.stdout.toString(), /^imported admin\/tree1 b3:[0-9a-f]{64}\n  2 files, 2 directories, 300\.0 KiB; \d+ new blocks; [\d.]+ s\n$/, 'the CLI\'s lines on stdout');
  t.equal(imported.stderr, '', 'nothing on stderr');
  t.match(await scores(admin), /tree1/, 'the name is in scores');

  const gz = await admin('import tree1gz', tgz);
  t.equal(gz.code, 0, gz.stderr);
  // The root block records when it was made, so only the content's blocks are shared.
  t.match(gz.stdout.toString(), /^imported admin\/tree1gz b3:[0-9a-f]{64}\n  2 files, 2 directories, 300\.0 KiB; 1 new blocks;/, 'gzip: the same content (only a new root block)');
  const json = await admin('import tree1json --json', tar);
  t.equal(json.code, 0, json.stderr);
  t.match(JSON.parse(json.stdout.toString()), { ok: true, result: { name: 'tree1json', owner: 'admin', root: /^b3:[0-9a-f]{64}$/, stats: { files: 2, dirs: 2 } } });

  const spawned = await admin('spawn tree1 as e1');
  t.equal(spawned.code, 0, spawned.stderr);
  t.match(spawned.stdout.toString(), /^aname: env\/e1\//m, 'the imported snapshot spawns');
  t.match((await admin('status')).stdout.toString(), /e1/);

  // Export it back and read it with tar.
  const exported = await admin('export tree1');
  t.equal(exported.code, 0, exported.stderr);
  t.equal(exported.stderr, '');
  const back = join(work, 'back');
  await mkdir(back);
  execFileSync('tar', ['-C', back, '-xf', '-'], { input: exported.stdout });
  t.equal(await readFile(join(back, 'hello.txt'), 'utf8'), 'hello over ssh\n');
  t.ok((await readFile(join(back, 'sub', 'big.bin'))).equals(big), 'the big file comes back byte for byte');
  t.equal(await readlink(join(back, 'sub', 'link')), '../hello.txt');

  // Refusals: one line on stderr, status 1, and no name left behind.
  const again = await admin('import tree1', tar);
  t.equal(again.code, 1);
  t.equal(again.stderr, 'error: admin\'s name tree1 (names are immutable; pick another) already exists\n');
  t.equal(again.stdout.length, 0);
  const badName = await admin('import ..', tar);
  t.equal(badName.code, 1);
  t.equal(badName.stderr, 'error: name ".." is reserved\n');
  const truncated = await admin('import cut', tar.subarray(0, 100 * 1024));
  t.equal(truncated.code, 1);
  t.match(truncated.stderr, /^error: [^\n]*(ends early|truncated)[^\n]*\n$/, 'a truncated tar: one clear line');
  const garbage = await admin('import junk', randomBytes(20 * 1024));
  t.equal(garbage.code, 1);
  t.match(garbage.stderr, /^error: [^\n]+\n$/, 'garbage: one line');
  const empty = await admin('import nothing', Buffer.alloc(0));
  t.equal(empty.code, 1, `empty input is refused: ${empty.stdout.toString()}${empty.stderr}`);
  const missing = await admin('export nonesuch');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^error: [^\n]*not found\n$/);
  t.equal(missing.stdout.length, 0);
  const after = await scores(admin);
  for (const gone of ['cut', 'junk', 'nothing']) t.notMatch(after, new RegExp(`\\b${gone}\\b`), `no snapshot ${gone}`);

  // At the prompt (here a piped console) and in help: the hint, not an import.
  const shell = await runSshClient('sshpass', sshArgs(sup, 'admin', sup.password), { timeoutMs: 60_000, input: 'import x\nexport tree1\nhelp\n' });
  t.match(shell.stderr, /^error: import takes a tar on the SSH channel, which a console line cannot carry: run ssh -p \d+ admin@HOST import x < tree\.tar$/m);
  t.match(shell.stderr, /^error: export gives a tar on the SSH channel[^\n]*export tree1 > tree\.tar$/m);
  t.match(shell.stdout, /^\s+import NAME\s+a new snapshot NAME from a tar \(plain or gzip\) on the SSH channel: ssh -p 2222 USER@HOST import NAME < tree\.tar$/m);
  t.match(shell.stdout, /^\s+export NAME\s+your snapshot NAME as a tar on the SSH channel/m);

  // An unknown user cannot log in, so cannot import.
  const stranger = await ssh(sup, 'mallory', 'whatever-1234', 'import evil', tar);
  t.equal(stranger.code, 255, 'refused at login');
  t.notMatch(await scores(admin), /\bevil\b/);

  // A second user: their own names, none of the admin's.
  const added = await admin('users add bob');
  t.equal(added.code, 0, added.stderr);
  const bobPassword = /first password: (\S+)/.exec(added.stdout.toString())![1]!;
  const bob = (command: string, input?: Buffer) => ssh(sup, 'bob', bobPassword, command, input);
  t.notMatch(await scores(bob), /tree1/, 'bob does not see the admin\'s snapshot');
  const bobExport = await bob('export tree1');
  t.equal(bobExport.code, 1, 'nor export it');
  t.equal(bobExport.stdout.length, 0);
  const bobImport = await bob('import tree1', tgz);
  t.equal(bobImport.code, 0, `names are per user: ${bobImport.stderr}`);
  t.match(bobImport.stdout.toString(), /^imported bob\/tree1 b3:[0-9a-f]{64}\n/);
});

t.test('a client killed mid-stream leaves no snapshot and no session', async (t) => {
  const sup = await startSupervisor(t);
  const admin = (command: string, input?: Buffer) => ssh(sup, 'admin', sup.password, command, input);
  const work = await mkdtemp(join(process.env.COLONY_TEST_TMP ?? tmpdir(), 'colony-ssh-import-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  await writeFile(join(work, 'big.bin'), randomBytes(4 << 20));
  const tar = execFileSync('tar', ['-C', work, '-cf', '-', 'big.bin'], { maxBuffer: 64 << 20 });

  // sshpass and its ssh in their own process group, so both die at once, as a killed client does.
  const child = spawn('sshpass', sshArgs(sup, 'admin', sup.password, 'import half'), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  t.teardown(async () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } await closed; });
  child.stdin.on('error', () => {});
  child.stdin.write(tar.subarray(0, 1 << 20)); // a quarter of the file, and stdin stays open
  await until('the import to start', () => /"msg":"ssh import"/.test(sup.log()) || /ssh import[^ ]/.test(sup.log()));
  await new Promise((r) => setTimeout(r, 500));
  process.kill(-child.pid!, 'SIGKILL');
  await closed;

  await until('the import to fail', () => /went away before the tar ended/.test(sup.log()));
  t.notMatch((await admin('scores')).stdout.toString(), /\bhalf\b/, 'no snapshot');
  await until('the session to go', async () => /ssh sessions 1\b/.test((await admin('node')).stdout.toString()));
  const whole = await admin('import half', tar);
  t.equal(whole.code, 0, `the name is still free: ${whole.stderr}`);
});

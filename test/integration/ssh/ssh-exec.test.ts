// One-shot commands (`ssh host CMD`): the reply on stdout and exit status 0, errors on
// stderr with status 1, `--json` for output a program can parse, and the mount line of a
// spawn passed through unchanged.
import t from 'tap';
import { PASSWORDS, ssh, sshWorld } from './helpers.js';

t.test('output and exit status', async (t) => {
  const w = await sshWorld(t);
  const ok = await ssh(w, 'alice', ['status']);
  t.same(ok, { code: 0, stdout: 'alice said: status\n', stderr: '' }, 'grid commands go to the interpreter as the logged-in user');
  const failed = await ssh(w, 'alice', ['fail']);
  t.same(failed, { code: 1, stdout: '', stderr: 'error: it failed\n' }, 'an error reply exits 1 on stderr');
  const bad = await ssh(w, 'alice', ['whoami', 'extra']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^error: usage: whoami/);
});

t.test('--json gives one parsable object', async (t) => {
  const w = await sshWorld(t);
  const r = await ssh(w, 'alice', ['whoami', '--json']);
  t.equal(r.code, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { ok: true, output: 'alice (user)', result: { user: 'alice', role: 'user', keys: 1, hasPassword: true } });
  const e = await ssh(w, 'alice', ['--', '--json', 'fail']); // after the host, ssh still reads options until --
  t.equal(e.code, 1);
  t.same(JSON.parse(e.stdout), { ok: false, error: 'COLONY_INVALID', message: 'it failed' }, 'errors too, on stdout');
});

t.test('the mount line after a spawn reaches the user unchanged', async (t) => {
  const w = await sshWorld(t);
  const r = await ssh(w, 'bob', ['spawn', 'debian']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'spawned debian\nmount -t 9p -o trans=tcp,port=564,version=9p2000.L,aname=env/debian/TOKEN-bob HOST /mnt\n');
});

t.test('help lists what the user may run', async (t) => {
  const w = await sshWorld(t);
  const plain = await ssh(w, 'alice', ['help']);
  t.equal(plain.code, 0);
  t.match(plain.stdout, /grid commands:/);
  t.match(plain.stdout, /whoami/);
  t.match(plain.stdout, /passwd/);
  t.match(plain.stdout, /keys list/);
  t.notMatch(plain.stdout, /users|shutdown/, 'no admin commands for a user');
  const admin = await ssh(w, 'root', ['help']);
  t.match(admin.stdout, /users list/);
  t.match(admin.stdout, /shutdown/);
});

t.test('passwd asks for the old password and the new one twice', async (t) => {
  const w = await sshWorld(t);
  const differ = await ssh(w, 'alice', ['passwd'], { input: `${PASSWORDS.alice}\nnew-one-1\nnew-one-2\n` });
  t.equal(differ.code, 1);
  t.match(differ.stderr, /the two passwords differ/);
  const wrongOld = await ssh(w, 'alice', ['passwd'], { input: 'guess\nnew-one-1\nnew-one-1\n' });
  t.equal(wrongOld.code, 1);
  t.match(wrongOld.stderr, /not your current password/);
  const cancelled = await ssh(w, 'alice', ['passwd'], { input: `${PASSWORDS.alice}\n` });
  t.equal(cancelled.code, 1);
  t.match(cancelled.stderr, /cancelled/);
  const r = await ssh(w, 'alice', ['passwd'], { input: `${PASSWORDS.alice}\nnew-one-1\nnew-one-1\n` });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'password changed\n');
  t.match(r.stderr, /current password: new password: new password again: /, 'the questions go to stderr');
  t.equal((await ssh(w, 'alice', ['whoami'], { password: 'new-one-1' })).code, 0, 'the new password works');
  t.not((await ssh(w, 'alice', ['whoami'], { password: PASSWORDS.alice! })).code, 0, 'the old one does not');
});

t.test('keys add and keys list', async (t) => {
  const w = await sshWorld(t);
  const { readFile } = await import('node:fs/promises');
  const line = (await readFile(`${w.keys.stranger}.pub`, 'utf8')).trim();
  t.equal((await ssh(w, 'bob', ['whoami'], { key: w.keys.stranger! })).code, 255, 'not yet');
  const add = await ssh(w, 'bob', ['keys', 'add', line]);
  t.equal(add.code, 0, add.stderr);
  t.match(add.stdout, /^added ssh-ed25519 key SHA256:\S+ \(stranger@test\)\n$/);
  const list = await ssh(w, 'bob', ['keys', 'list']);
  t.equal(list.stdout.trim().split('\n').length, 2);
  t.match(list.stdout, /stranger@test/);
  t.equal((await ssh(w, 'bob', ['whoami'], { key: w.keys.stranger! })).stdout, 'bob (user)\n', 'the new key logs in');
  const again = await ssh(w, 'alice', ['keys', 'add', line]);
  t.equal(again.code, 1, "bob's key cannot be added to alice");
  const junk = await ssh(w, 'alice', ['keys', 'add', 'ssh-ed25519', 'AAAAnotakey']);
  t.equal(junk.code, 1);
});

// Logging in with the OpenSSH client: a key from the catalog, a password through sshpass;
// a wrong key, a wrong password, an unknown user and the `none` method are all refused.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { PASSWORDS, ssh, sshWorld } from './helpers.js';

const run = promisify(execFile);

t.test('a catalog key logs in', async (t) => {
  const w = await sshWorld(t);
  const r = await ssh(w, 'alice', ['whoami']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'alice (user)\n');
  t.ok(w.log.lines.some((l) => l.msg === 'ssh login' && l.user === 'alice' && l.method === 'publickey'), 'the login is logged');
});

t.test('a password logs in through sshpass', async (t) => {
  const w = await sshWorld(t);
  const r = await ssh(w, 'bob', ['whoami'], { password: PASSWORDS.bob! });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'bob (user)\n');
});

t.test('a wrong key, a wrong password, another user’s key and an unknown user are refused', async (t) => {
  const w = await sshWorld(t);
  const stranger = await ssh(w, 'alice', ['whoami'], { key: w.keys.stranger! });
  t.equal(stranger.code, 255, 'a key nobody holds');
  t.equal(stranger.stdout, '');
  t.match(stranger.stderr, /Permission denied \(publickey,password\)/, 'the allowed methods are listed');
  const bobs = await ssh(w, 'alice', ['whoami'], { key: w.keys.bob! });
  t.equal(bobs.code, 255, "bob's key does not log in alice");
  const wrong = await ssh(w, 'alice', ['whoami'], { password: 'not-it' });
  t.not(wrong.code, 0, 'a wrong password');
  t.equal(wrong.stdout, '');
  const nobody = await ssh(w, 'mallory', ['whoami'], { password: 'anything' });
  t.not(nobody.code, 0, 'an unknown user with a password');
  const nobodyKey = await ssh(w, 'mallory', ['whoami'], { key: w.keys.alice! });
  t.equal(nobodyKey.code, 255, "an unknown user with alice's key");
  t.ok(w.log.lines.some((l) => l.msg === 'ssh login refused' && l.user === 'alice' && l.method === 'password'), 'refusals are logged');
  t.notOk(w.log.lines.some((l) => l.msg === 'ssh login'), 'nobody got in');
});

t.test('the host key is made once and kept across restarts', async (t) => {
  const w = await sshWorld(t);
  const first = w.server.fingerprint;
  t.match(first, /^SHA256:/);
  await w.server.close();
  const again = await sshWorld(t, { hostKeyPath: w.hostKeyPath });
  t.equal(again.server.fingerprint, first, 'the same fingerprint after a restart');
  // Not execFileSync: the server answers from this very process.
  const scan = await run('ssh-keyscan', ['-T', '20', '-p', String(again.port), '-t', 'ed25519', '127.0.0.1'], { timeout: 30_000 });
  t.match(execFileSync('ssh-keygen', ['-l', '-f', '-'], { input: scan.stdout, timeout: 30_000 }).toString(), first!, 'OpenSSH sees that fingerprint');
  const r = await ssh(again, 'alice', ['whoami']);
  t.equal(r.code, 0, r.stderr);
});

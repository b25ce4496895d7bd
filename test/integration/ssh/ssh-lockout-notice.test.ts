// A lockout explains itself and spares keys: after the failed passwords from one address,
// OpenSSH (at its default log level) prints why and until when, the right password is
// still refused from there, and every user's valid public key still logs in from there.
import t from 'tap';
import { lockoutNotice } from '../../../appliance/console/ssh/auth.js';
import { FailureLimiter } from '../../../appliance/console/ssh/rate-limit.js';
import { runSshClient } from '../../helpers/openssh.js';
import { PASSWORDS, ssh, sshArgs, sshWorld, type SshResult, type SshWorld } from './helpers.js';

/**
 * OpenSSH with a password at LogLevel INFO (its default), where it prints banners;
 * `prefs` is its PreferredAuthentications (a person's default tries keyboard-interactive
 * before password).
 */
function sshPassword(w: SshWorld, user: string, password: string, bind = '127.0.0.1', prefs = 'password'): Promise<SshResult> {
  const { file, args } = sshArgs(w, user, { password, bind, logLevel: 'INFO', prefs });
  return runSshClient(file, [...args, 'whoami'], { timeoutMs: 30_000 });
}

t.test('the notice, as data', async (t) => {
  const limiter = new FailureLimiter({ lockAfter: 1, lockMs: 5 * 60_000 });
  const now = Date.UTC(2026, 11, 6, 18, 0, 0);
  t.equal(lockoutNotice(limiter, '10.1.2.3', now), undefined);
  limiter.fail('addr:10.1.2.3', now);
  t.equal(lockoutNotice(limiter, '::ffff:10.1.2.3', now + 1000),
    'Colony: too many failed logins from 10.1.2.3. Passwords from this address are refused until 18:05 UTC (about 5 minutes); public keys still work.\r\n');
});

t.test('a locked address: told why, keys still work', async (t) => {
  const w = await sshWorld(t, { limits: { lockAfter: 3, baseDelayMs: 0, lockMs: 600_000 } });
  const before = await sshPassword(w, 'bob', PASSWORDS.bob!);
  t.equal(before.stdout, 'bob (user)\n');
  t.notMatch(before.stderr, /too many failed logins/, 'no notice before any lockout');
  for (let i = 0; i < 3; i++) t.not((await sshPassword(w, 'alice', `guess-${i}`)).code, 0, `guess ${i} refused`);

  const right = await sshPassword(w, 'bob', PASSWORDS.bob!);
  t.not(right.code, 0, "bob's right password is refused from the locked address");
  t.match(right.stderr, /Colony: too many failed logins from 127\.0\.0\.1\. Passwords from this address are refused until \d\d:\d\d UTC \(about 10 minutes\); public keys still work\./, 'OpenSSH shows why');

  const bobKey = await ssh(w, 'bob', ['whoami'], { bind: '127.0.0.1' });
  t.equal(bobKey.stdout, 'bob (user)\n', "bob's key works from the locked address");
  const aliceKey = await ssh(w, 'alice', ['whoami'], { bind: '127.0.0.1' });
  t.equal(aliceKey.stdout, 'alice (user)\n', "and so does alice's, whose password was guessed");
  const stranger = await ssh(w, 'alice', ['whoami'], { bind: '127.0.0.1', key: w.keys.stranger! });
  t.equal(stranger.code, 255, 'a key nobody authorised is still refused');
  t.ok(w.log.lines.some((l) => l.msg === 'ssh login refused' && l.reason === 'source address locked out for passwords'), 'the refusal is logged with its reason');
});

t.test('a locked user is told why from anywhere; her key still works', async (t) => {
  const w = await sshWorld(t, { limits: { lockAfter: 3, baseDelayMs: 0, lockMs: 600_000 } });
  const fresh = await sshPassword(w, 'alice', PASSWORDS.alice!, '127.0.0.2', 'keyboard-interactive,password');
  t.equal(fresh.stdout, 'alice (user)\n', 'with keyboard-interactive offered first, an unlocked password login works as before');
  for (let i = 0; i < 3; i++) t.not((await sshPassword(w, 'alice', `guess-${i}`, '127.0.0.1')).code, 0, `guess ${i} refused`);
  const right = await sshPassword(w, 'alice', PASSWORDS.alice!, '127.0.0.2', 'keyboard-interactive,password');
  t.not(right.code, 0, "alice's right password is refused from another address");
  t.match(right.stderr, /Colony: too many failed logins for alice\. Passwords for alice are refused until \d\d:\d\d UTC; public keys still work\./, 'OpenSSH shows why');
  t.notMatch(right.stderr, /from 127\.0\.0\.2/, 'that address is not locked');
  const key = await ssh(w, 'alice', ['whoami'], { bind: '127.0.0.2' });
  t.equal(key.stdout, 'alice (user)\n', 'her key works');
  const bob = await sshPassword(w, 'bob', PASSWORDS.bob!, '127.0.0.2', 'keyboard-interactive,password');
  t.equal(bob.stdout, 'bob (user)\n', 'other users are not affected');
});

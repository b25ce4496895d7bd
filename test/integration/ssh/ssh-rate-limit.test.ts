// Failed logins are limited per source address and per user: after the threshold even the
// right password is refused. A lockout stops passwords only: keys still work, from the
// locked address too. Counted in refusals, never in time.
import ssh2 from 'ssh2';
import t from 'tap';
import { PASSWORDS, ssh, sshWorld } from './helpers.js';

t.test('repeated failures lock the address and the user', async (t) => {
  const w = await sshWorld(t, { limits: { lockAfter: 3, baseDelayMs: 0, lockMs: 600_000 } });
  for (let i = 0; i < 3; i++) {
    const r = await ssh(w, 'alice', ['whoami'], { password: `guess-${i}`, bind: '127.0.0.1' });
    t.not(r.code, 0, `guess ${i} refused`);
  }
  t.ok(w.log.lines.some((l) => l.msg === 'ssh login refused' && l.locked === true), 'the lockout is logged');

  const right = await ssh(w, 'alice', ['whoami'], { password: PASSWORDS.alice!, bind: '127.0.0.1' });
  t.not(right.code, 0, 'the right password is refused from the locked address');
  const bobKey = await ssh(w, 'bob', ['whoami'], { bind: '127.0.0.1' });
  t.equal(bobKey.stdout, 'bob (user)\n', 'but a valid key still works from that address');

  const elsewhere = await ssh(w, 'alice', ['whoami'], { password: PASSWORDS.alice!, bind: '127.0.0.2' });
  t.not(elsewhere.code, 0, "alice's password is refused from another address too (the user is locked)");
  const aliceKey = await ssh(w, 'alice', ['whoami'], { bind: '127.0.0.2' });
  t.equal(aliceKey.stdout, 'alice (user)\n', 'but her key still works from elsewhere');
  const bob = await ssh(w, 'bob', ['whoami'], { password: PASSWORDS.bob!, bind: '127.0.0.2' });
  t.equal(bob.stdout, 'bob (user)\n', 'and other users are not affected');
});

t.test('a connection is dropped after too many failures', async (t) => {
  const w = await sshWorld(t, { maxAuthFailures: 2, limits: { baseDelayMs: 0 } });
  // OpenSSH's sshpass stops at the first refusal, so ssh2's client makes the attempts.
  const conn = new ssh2.Client();
  let tries = 0;
  const ended = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => { conn.end(); resolve('timeout'); }, 20_000);
    conn.on('error', () => {});
    conn.on('ready', () => { clearTimeout(timer); conn.end(); resolve('logged in'); });
    conn.on('close', () => { clearTimeout(timer); resolve('closed'); });
    conn.connect({
      host: '127.0.0.1', port: w.port, username: 'alice',
      authHandler: (_left, _partial, next) => { tries++; next({ type: 'password', username: 'alice', password: `wrong-${tries}` }); },
    });
  });
  t.equal(ended, 'closed', 'the server hung up');
  t.equal(w.log.lines.filter((l) => l.msg === 'ssh login refused').length, 2, 'after two refused attempts');
});

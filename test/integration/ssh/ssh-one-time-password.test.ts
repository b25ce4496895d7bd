// A one-time password (the first admin's) through the real OpenSSH client: a command
// (`ssh host CMD`) is refused with a message saying to log in interactively; the console
// asks for a new password first, twice, and after that the account is ordinary again.
import t from 'tap';
import { ONE_TIME_NOTICE } from '../../../appliance/console/ssh/first-login.js';
import { ssh, sshWorld, Terminal } from './helpers.js';

const ONE_TIME = 'one-time-7Qx';

t.test('exec is refused until the password is changed, by password or by key', async (t) => {
  const w = await sshWorld(t);
  await w.catalog.setPassword('root', ONE_TIME, { temporary: true });
  const r = await ssh(w, 'root', ['whoami'], { password: ONE_TIME });
  t.equal(r.code, 1, r.stderr);
  t.equal(r.stdout, '');
  t.match(r.stderr, /root's password is a one-time password and must be changed first: log in interactively/);
  const j = await ssh(w, 'root', ['whoami', '--json'], { password: ONE_TIME });
  t.equal(j.code, 1);
  t.match(JSON.parse(j.stdout), { ok: false, error: 'COLONY_AUTH', message: /one-time password/ });
  const k = await ssh(w, 'root', ['whoami']);
  t.equal(k.code, 1, 'a key login is held to it too: the account is marked, not the method');
  t.ok(w.catalog.mustChangePassword('root'), 'still marked');
  t.equal((await ssh(w, 'alice', ['whoami'], { password: 'alice-secret-1' })).stdout, 'alice (user)\n', 'other users are not concerned');
});

t.test('the console asks for a new one first, on a terminal', async (t) => {
  const w = await sshWorld(t);
  await w.catalog.setPassword('root', ONE_TIME, { temporary: true });
  const term = await Terminal.open(t, w, 'root', { password: ONE_TIME });
  const first = await term.waitFor(/new password:$/, 'the question');
  t.match(first, ONE_TIME_NOTICE);
  t.notMatch(first, /colony>/, 'no prompt before the change');
  term.type('fresh-one'); term.keys('Enter');
  await term.waitFor(/new password again:$/);
  term.type('fresh-two'); term.keys('Enter');
  await term.waitFor(/differ; try again\nnew password:$/, 'a mismatch asks again');
  term.type(ONE_TIME); term.keys('Enter');
  await term.waitFor(/new password again:$/);
  term.type(ONE_TIME); term.keys('Enter');
  await term.waitFor(/that is the one-time password; choose another\nnew password:$/, 'the old one is refused');
  term.type('fresh-one'); term.keys('Enter');
  await term.waitFor(/new password again:$/);
  term.type('fresh-one'); term.keys('Enter');
  const after = await term.waitFor(/password changed\n[^]*colony>$/, 'the console after the change');
  t.notMatch(after, /fresh-one/, 'nothing typed was echoed');
  term.type('whoami'); term.keys('Enter');
  await term.waitFor(/root \(admin\)\ncolony>$/);
  t.notOk(w.catalog.mustChangePassword('root'), 'the mark is gone');
  t.equal((await ssh(w, 'root', ['whoami'], { password: 'fresh-one' })).stdout, 'root (admin)\n', 'the new password works for commands');
  t.not((await ssh(w, 'root', ['whoami'], { password: ONE_TIME })).code, 0, 'the one-time one no longer logs in');
});

t.test('without a pty the questions go to stderr; giving up ends the session unchanged', async (t) => {
  const w = await sshWorld(t);
  await w.catalog.setPassword('root', ONE_TIME, { temporary: true });
  const quit = await ssh(w, 'root', [], { password: ONE_TIME, input: 'only-once\n' });
  t.equal(quit.code, 1);
  t.match(quit.stderr, /one-time password is unchanged; log in again/);
  t.ok(w.catalog.mustChangePassword('root'), 'still marked');
  const r = await ssh(w, 'root', [], { password: ONE_TIME, input: 'piped-new\npiped-new\nwhoami\n' });
  t.equal(r.stdout, 'root (admin)\n', r.stderr);
  t.match(r.stderr, ONE_TIME_NOTICE);
  t.notOk(w.catalog.mustChangePassword('root'));
});

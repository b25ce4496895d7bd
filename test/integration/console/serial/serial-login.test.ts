// The serial console on a socat pty pair: login, commands through the one registry, exit
// back to the login prompt, wrong passwords and the rate limit, unknown users.
import t, { type Test } from 'tap';
import { FailureLimiter } from '../../../../appliance/console/ssh/rate-limit.js';
import { Far, PASSWORDS, servedConsole } from './helpers.js';

async function world(tt: Test, o: { limiter?: FailureLimiter } = {}) {
  const { pair, catalog, log, line } = await servedConsole(tt, o.limiter ? { limiter: o.limiter } : {});
  const far = await Far.open(tt, pair.b);
  far.line(''); // a terminal attached late presses Enter to see the prompt
  await far.waitFor(/colony login: $/);
  return { far, log, catalog, line };
}

t.test('login, status and whoami, exit: the login prompt again', async (t) => {
  const { far, log } = await world(t);
  let m = far.mark;
  far.line('alice');
  await far.waitFor(/password: $/, m);
  m = far.mark;
  far.line(PASSWORDS.alice!);
  const welcome = await far.waitFor(/colony> $/, m);
  t.notMatch(welcome, PASSWORDS.alice!, 'the password is not echoed');
  t.match(welcome, /Welcome, alice/);
  m = far.mark;
  far.line('status');
  t.match(await far.waitFor(/colony> $/, m), /status\r\nenvironments of alice: none\r\ncolony> $/, 'echoed, answered with CR LF, prompt again');
  m = far.mark;
  far.line('whoami');
  t.match(await far.waitFor(/colony> $/, m), /alice/);
  m = far.mark;
  far.line('cpu debian');
  t.match(await far.waitFor(/colony> $/, m), /error: .*ssh -t/, 'cpu: where to run it, as the registry says elsewhere');
  m = far.mark;
  far.line('users list');
  t.match(await far.waitFor(/colony> $/, m), /error: 'users' is for admins/);
  m = far.mark;
  far.line('exit');
  t.match(await far.waitFor(/colony login: $/, m), /logged out/);
  t.ok(log.lines.some((l) => l.msg === 'serial login' && l.user === 'alice'));
  t.ok(log.lines.some((l) => l.msg === 'serial logout'));
});

t.test('CR as Enter, backspace and DEL, Ctrl-C drops the line, Ctrl-D logs out', async (t) => {
  const { far } = await world(t);
  let m = far.mark;
  far.send('root\r');
  await far.waitFor(/password: $/, m);
  m = far.mark;
  far.send(`${PASSWORDS.root}\r`);
  await far.waitFor(/colony> $/, m);
  m = far.mark;
  far.send('whoamx\x7fi\r');
  t.match(await far.waitFor(/colony> $/, m), /root \(admin\)|root/, 'DEL erased the x');
  m = far.mark;
  far.send('whoamx\bi\r');
  t.match(await far.waitFor(/colony> $/, m), /\r\nroot/, 'backspace erased the x');
  m = far.mark;
  far.send('boom everything\x03');
  t.match(await far.waitFor(/\^C\r\ncolony> $/, m), /boom everything/);
  m = far.mark;
  far.send('\x04');
  t.match(await far.waitFor(/colony login: $/, m), /logged out/);
});

t.test('a wrong password and an unknown user answer alike; the limiter locks the line', async (t) => {
  const limiter = new FailureLimiter({ freeFailures: 10, lockAfter: 3 });
  const { far, log } = await world(t, { limiter });
  for (const [user, pw] of [['alice', 'wrong'], ['nobody', 'whatever']] as const) {
    let m = far.mark;
    far.line(user);
    await far.waitFor(/password: $/, m, `password prompt for ${user}`);
    m = far.mark;
    far.line(pw);
    t.match(await far.waitFor(/colony login: $/, m), /Login incorrect/, `${user}: Login incorrect`);
  }
  let m = far.mark;
  far.line('alice');
  await far.waitFor(/password: $/, m);
  m = far.mark;
  far.line('wrong again');
  await far.waitFor(/colony login: $/, m);
  // Three failures on the line: even the right password is now refused unchecked.
  m = far.mark;
  far.line('root');
  await far.waitFor(/password: $/, m);
  m = far.mark;
  far.line(PASSWORDS.root!);
  t.match(await far.waitFor(/colony login: $/, m), /too many failed logins on this line/);
  t.ok(limiter.state('serial', Date.now()).locked, 'the line key is locked');
  t.ok(log.lines.some((l) => l.msg === 'serial login refused' && l.user === 'nobody'));
});

// The interactive console in a real terminal (tmux running OpenSSH): the prompt, line
// editing keys, history, passwd without echo, Ctrl-D to leave. And without a pty: lines
// in, answers out, no prompt.
import t from 'tap';
import { PROMPT } from '../../../appliance/console/ssh/index.js';
import { count, PASSWORDS, ssh, sshWorld, Terminal } from './helpers.js';

t.test('prompt, editing keys and history', async (t) => {
  const w = await sshWorld(t);
  const term = await Terminal.open(t, w, 'alice');
  const first = await term.waitFor(/colony>$/, 'the prompt');
  t.match(first, /Colony grid console/, 'the banner');

  term.type('whoami'); term.keys('Enter');
  await term.waitFor(/alice \(user\)\ncolony>$/);

  term.type('say world'); term.keys('Left', 'Left', 'Left', 'Left', 'Left'); term.type('hello '); term.keys('Enter');
  await term.waitFor(/alice said: say hello world\n/, 'left arrow and insert');

  term.type('sayx'); term.keys('BSpace'); term.type(' ok'); term.keys('Enter');
  await term.waitFor(/alice said: say ok\n/, 'backspace');

  term.type('ay x'); term.keys('C-a'); term.type('s'); term.keys('C-e'); term.type('y'); term.keys('Enter');
  await term.waitFor(/alice said: say xy\n/, 'ctrl-a and ctrl-e');

  term.type('garbage here'); term.keys('C-u'); term.type('say clean'); term.keys('Enter');
  await term.waitFor(/alice said: say clean\n/, 'ctrl-u');

  term.type('say one two'); term.keys('C-w'); term.type('three'); term.keys('Enter');
  await term.waitFor(/alice said: say one three\n/, 'ctrl-w');

  term.type('say more'); term.keys('C-a', 'Right', 'Right', 'Right', 'C-k'); term.type(' less'); term.keys('Enter');
  await term.waitFor(/alice said: say less\n/, 'right arrow and ctrl-k');

  term.keys('Up', 'Up', 'Up', 'Down', 'Down', 'Enter');
  const hist = await term.waitFor(/(alice said: say less\n[^]*){2}/, 'history');
  t.equal(count(hist, 'alice said: say less\n'), 2, 'up and down recall the last line');
  t.equal(count(hist, 'alice said: say one three\n'), 1);

  term.keys('Up', 'Up', 'Enter');
  const hist2 = await term.waitFor(/(alice said: say one three\n[^]*){2}/, 'history further back');
  t.equal(count(hist2, 'alice said: say one three\n'), 2);

  term.type('fail'); term.keys('Enter');
  await term.waitFor(/error: it failed\ncolony>$/, 'errors are shown and the console goes on');

  term.type('passwd'); term.keys('Enter');
  await term.waitFor(/current password:$/);
  term.type(PASSWORDS.alice!); term.keys('Enter');
  await term.waitFor(/new password:$/);
  term.type('hidden-pw-1'); term.keys('Enter');
  await term.waitFor(/new password again:$/);
  term.type('hidden-pw-1'); term.keys('Enter');
  const pw = await term.waitFor(/password changed\ncolony>$/);
  t.notMatch(pw, /hidden-pw-1|alice-secret/, 'passwords are not echoed');
  t.ok(await w.catalog.checkPassword('alice', 'hidden-pw-1'));

  term.type('say typed then'); term.keys('C-c');
  await term.waitFor(/say typed then\^C\ncolony>$/, 'ctrl-c drops the line');

  term.keys('C-d');
  const end = await term.waitFor(/ssh exited 0/, 'ctrl-d ends the session');
  t.notMatch(end, /alice said: say typed then/);
});

t.test('exit leaves the console', async (t) => {
  const w = await sshWorld(t);
  const term = await Terminal.open(t, w, 'bob');
  await term.waitFor(/colony>$/);
  term.type('exit'); term.keys('Enter');
  await term.waitFor(/ssh exited 0/);
  t.pass();
});

t.test('a one-shot command with a pty (ssh -t host passwd) asks without echo', async (t) => {
  const w = await sshWorld(t);
  const term = await Terminal.open(t, w, 'bob', { command: ['passwd'] });
  await term.waitFor(/current password:$/);
  term.type(PASSWORDS.bob!); term.keys('Enter');
  await term.waitFor(/new password:$/);
  term.type('tty-pw-1'); term.keys('Enter');
  await term.waitFor(/again:$/);
  term.type('tty-pw-2'); term.keys('Enter');
  const end = await term.waitFor(/ssh exited \d+/);
  t.match(end, /error: passwd: the two passwords differ/);
  t.match(end, /ssh exited 1/, 'the exit status of a failed command');
  t.notMatch(end, /tty-pw|bob-secret/, 'nothing was echoed');
});

t.test('without a pty: lines in, answers out', async (t) => {
  const w = await sshWorld(t);
  const r = await ssh(w, 'alice', [], { input: 'whoami\nsay one\r\n\n# a comment\nwhoami --json\nexit\nsay never\n' });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'alice (user)\nalice said: say one\n{"ok":true,"output":"alice (user)","result":{"user":"alice","role":"user","keys":1,"hasPassword":true}}\n');
  t.notMatch(r.stdout, new RegExp(PROMPT), 'no prompt');
  const eof = await ssh(w, 'bob', [], { input: 'whoami' });
  t.equal(eof.stdout, 'bob (user)\n', 'a last line without newline is run at end of input');
});

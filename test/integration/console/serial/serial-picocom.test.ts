// A real terminal client on the line: picocom (in a tmux pane) on one end of a socat pty
// pair, the serial console on the other. Keys go through tmux as a person types them:
// Enter is CR, Backspace is DEL, arrows are escape sequences.
import t from 'tap';
import { PASSWORDS, Picocom, servedConsole } from './helpers.js';

t.test('picocom: log in, edit a line, run commands, log out', async (t) => {
  const { pair } = await servedConsole(t);
  const term = await Picocom.open(t, pair.b);
  let screen = await term.logIn('alice', PASSWORDS.alice!);
  t.notMatch(screen, PASSWORDS.alice!, 'the password never reached the screen');
  t.match(screen, /Welcome, alice/);

  // Typo, arrows and backspace: "whoxami" → Left ×3, BSpace → "whoami".
  term.type('whoxami');
  term.keys('Left', 'Left', 'Left', 'BSpace', 'Enter');
  screen = await term.waitFor(/\nalice[^\n]*\ncolony>$/);
  t.pass('the edited line ran as whoami');
  term.type('status');
  term.keys('Enter');
  screen = await term.waitFor(/environments of alice: none\ncolony>$/);
  // Up recalls the last line.
  term.keys('Up', 'Enter');
  screen = await term.waitFor(/environments of alice: none\ncolony> status\nenvironments of alice: none\ncolony>$/);
  t.pass('history with Up');
  term.type('exit');
  term.keys('Enter');
  screen = await term.waitFor(/logged out\n(\n)*Colony node node-serial: serial console\n\ncolony login:$/);
  t.pass('back at the login prompt');
});

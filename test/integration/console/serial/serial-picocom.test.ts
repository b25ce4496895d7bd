// A real terminal client on the line: picocom (in a tmux pane) on one end of a socat pty
// pair, the serial console on the other. Keys go through tmux as a person types them:
// Enter is CR, Backspace is DEL, arrows are escape sequences.
import t from 'tap';
import { serveSerialConsole } from '../../../../appliance/console/serial/index.js';
import { MemoryLog } from '../../../../appliance/log.js';
import { openSerialLine } from '../../../../hw/serial/index.js';
import { catalogWithUsers, PASSWORDS, Picocom, ptyPair, statusInterpreter } from './helpers.js';

t.test('picocom: log in, edit a line, run commands, log out', async (t) => {
  const pair = await ptyPair(t);
  const { catalog } = await catalogWithUsers(t);
  const log = new MemoryLog();
  const node = { id: 'node-serial', version: '0.0.0-test', started: Date.now() };
  const line = openSerialLine({
    config: { enabled: true, path: pair.a, baudRate: 115200 }, log, simRoot: '/nonexistent',
    onOpen: (stream) => {
      const s = serveSerialConsole(stream, { accounts: catalog, interpreter: statusInterpreter, node, log, firstBoot: () => undefined });
      return () => s.close();
    },
  });
  t.teardown(() => line.stop());
  const term = await Picocom.open(t, pair.b);
  term.keys('Enter');
  await term.waitFor(/colony login:$/);
  term.type('alice');
  term.keys('Enter');
  await term.waitFor(/password:$/);
  term.type(PASSWORDS.alice!);
  term.keys('Enter');
  let screen = await term.waitFor(/colony>$/);
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

// The serial console of a real `colony serve`: its config names a port (a symlink we
// control, to one end of a socat pty pair), picocom in a tmux pane is the terminal on the
// other end. Log in as the admin, run commands through the one registry, log out; then the
// port goes away (socat killed) and comes back at the same path, and so does the console.
import { symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startSupervisor } from '../helpers/colony-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { Picocom, ptyPair } from '../integration/console/serial/helpers.js';

async function until(what: string, ok: () => boolean, log: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never: ${what}; the supervisor's log ends:\n${log().slice(-3000)}`);
}

t.test('colony serve offers the console on the configured port, and gets it back after it goes away', async (t) => {
  const dir = await tmpDir(t, 'colony-serial-system-');
  const link = join(dir, 'ttyCOLONY');
  const first = await ptyPair(t);
  symlinkSync(first.a, link);
  const sup = await startSupervisor(t, { config: { serial: { path: link } } });
  await until('the port opened', () => /serial port open/.test(sup.log()), sup.log);

  const term = Picocom.open(t, first.b);
  term.keys('Enter');
  await term.waitFor(/colony login:$/);
  term.type('admin');
  term.keys('Enter');
  await term.waitFor(/password:$/);
  term.type(sup.password);
  term.keys('Enter');
  let screen = await term.waitFor(/colony>$/);
  t.notMatch(screen, sup.password, 'the password is not echoed');
  term.type('whoami');
  term.keys('Enter');
  await term.waitFor(/\nadmin[^\n]*\ncolony>$/);
  term.type('status');
  term.keys('Enter');
  screen = await term.waitFor(/status\n[\s\S]*\ncolony>$/);
  t.notMatch(screen.slice(screen.lastIndexOf('colony> status')), /error:/, 'status answered');
  term.type('node');
  term.keys('Enter');
  screen = await term.waitFor(/node\n[\s\S]*12D3KooW[\s\S]*\ncolony>$/);
  term.type('exit');
  term.keys('Enter');
  await term.waitFor(/logged out\n[\s\S]*colony login:$/);
  t.ok(/"serial login"/.test(sup.log()) || /serial login/.test(sup.log()), 'the login is in the log');

  // The port goes away: logged, retried; the supervisor keeps running.
  await first.kill();
  await until('the failure logged', () => /serial line failed; retrying/.test(sup.log()), sup.log);
  const ssh = await sup.ssh('whoami');
  t.equal(ssh.code, 0, 'the supervisor still answers over SSH');

  const second = await ptyPair(t);
  unlinkSync(link);
  symlinkSync(second.a, link);
  await until('open again', () => /serial port open again/.test(sup.log()), sup.log);
  const term2 = Picocom.open(t, second.b);
  term2.keys('Enter');
  await term2.waitFor(/colony login:$/);
  t.pass('the console is back on the new device');
  t.equal(await sup.stop(), 0, 'a clean stop with the console open');
});

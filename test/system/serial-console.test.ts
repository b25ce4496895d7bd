// The serial console of a real `colony serve`: its config names a port (a symlink we
// control, to one end of a socat pty pair), picocom in a tmux pane is the terminal on the
// other end. Log in as the admin, run commands through the one registry, log out; then the
// port goes away (socat killed) and comes back at the same path, and so does the console.
// And on a fresh data directory (first boot), the line shows how to get in.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { childEnv, cliEntry, repoRoot, tsLoader } from '../helpers/cli.js';
import { freePort, startSupervisor } from '../helpers/colony-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { Picocom, ptyPair } from '../integration/console/serial/helpers.js';

// The checks read the supervisor's info lines (the port opened, the login); CI runs with
// COLONY_LOG_LEVEL=warn, which startSupervisor would pass on.
process.env.COLONY_LOG_LEVEL = 'info';

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

  const term = await Picocom.open(t, first.b);
  let screen = await term.logIn('admin', sup.password);
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
  // The log arrives through a pipe, maybe after the screen shows the prompt: wait for it.
  await until('the login in the log', () => /"msg":"serial login"/.test(sup.log()), sup.log);
  t.pass('the login is in the log');

  // The port goes away: logged, retried; the supervisor keeps running.
  await first.kill();
  await until('the failure logged', () => /serial line failed; retrying/.test(sup.log()), sup.log);
  const ssh = await sup.ssh('whoami');
  t.equal(ssh.code, 0, 'the supervisor still answers over SSH');

  const second = await ptyPair(t);
  unlinkSync(link);
  symlinkSync(second.a, link);
  await until('open again', () => /serial port open again/.test(sup.log()), sup.log);
  const term2 = await Picocom.open(t, second.b);
  term2.keys('Enter');
  await term2.waitFor(/colony login:$/);
  t.pass('the console is back on the new device');
  t.equal(await sup.stop(), 0, 'a clean stop with the console open');
});

t.test('first boot: the line shows the node id, addresses and the one-time password until the admin changes it', async (t) => {
  const dir = await tmpDir(t, 'colony-serial-first-');
  const data = join(dir, 'data');
  const pair = await ptyPair(t);
  writeFileSync(join(dir, 'colony.json'), JSON.stringify({ serial: { path: pair.a } }));
  const args = [...tsLoader, cliEntry, 'serve', '--data', data, '--config', join(dir, 'colony.json'),
    '--9p', `127.0.0.1:${await freePort()}`, '--ssh', `127.0.0.1:${await freePort()}`, '--peer', '127.0.0.1:0'];
  // Standard error is a pipe, so the one-time password goes to DATA/first-admin-password.
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: childEnv({ COLONY_LOG_LEVEL: 'info' }) });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (x: string) => { log = (log + x).slice(-200_000); });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  t.teardown(async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); await exited; });
  await until('the port opened', () => /serial port open/.test(log), () => log);
  const passwordFile = join(data, 'first-admin-password');
  await until('the one-time password stored', () => existsSync(passwordFile), () => log);
  const oneTime = readFileSync(passwordFile, 'utf8').trim();
  const nodeId = /"nodeId":"(12D3KooW\w+)"|(12D3KooW\w+)/.exec(log)?.slice(1).find(Boolean);

  const term = await Picocom.open(t, pair.b);
  term.keys('Enter');
  let screen = await term.waitFor(/colony login:$/);
  t.match(screen, /first boot/);
  t.match(screen, new RegExp(`one-time password ${oneTime}`), 'the password from DATA/first-admin-password');
  t.match(screen, /addresses {2}\S/, 'addresses listed');
  if (nodeId) t.match(screen, new RegExp(`node id {4}${nodeId}`));
  term.type('admin');
  term.keys('Enter');
  await term.waitFor(/password:$/);
  term.type(oneTime);
  term.keys('Enter');
  await term.waitFor(/new password:$/);
  term.type('serial-chosen-1');
  term.keys('Enter');
  await term.waitFor(/new password again:$/);
  term.type('serial-chosen-1');
  term.keys('Enter');
  await term.waitFor(/password changed[\s\S]*colony>$/);
  term.type('exit');
  term.keys('Enter');
  screen = await term.waitFor(/logged out\n[\s\S]*colony login:$/);
  t.notMatch(screen.slice(screen.lastIndexOf('logged out')), /first boot/, 'no notice once the admin chose a password');
  await until('the password file deleted', () => !existsSync(passwordFile), () => log);
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'a clean stop');
});

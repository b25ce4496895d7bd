// The console on the simulated line (no port: a laptop, CI): a unix socket that speaks raw
// bytes, reached with socat as the README says. A terminal that leaves ends its session;
// the next one starts at the login prompt.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { serveSerialConsole } from '../../../../appliance/console/serial/index.js';
import { MemoryLog } from '../../../../appliance/log.js';
import { openSerialLine } from '../../../../hw/serial/index.js';
import { tmpDir } from '../../../helpers/tmp.js';
import { catalogWithUsers, ensureTools, PASSWORDS, statusInterpreter } from './helpers.js';

/** socat as the terminal on the socket; `text` is everything it printed. */
function socatTerminal(t: Test, sock: string) {
  const child = spawn('socat', ['-', `UNIX-CONNECT:${sock}`], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const term = {
    text: '',
    child,
    send: (s: string) => child.stdin.write(s),
    async waitFor(re: RegExp, from = 0): Promise<string> {
      for (let i = 0; i < 300; i++) {
        if (re.test(term.text.slice(from))) return term.text.slice(from);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`socat never showed ${re}: ${JSON.stringify(term.text.slice(from))}`);
    },
  };
  child.stdout.on('data', (b: Buffer) => { term.text += b.toString(); });
  return term;
}

t.test('log in over the simulated line; a new terminal gets a fresh login', async (t) => {
  ensureTools();
  const dir = await tmpDir(t, 'colony-serial-sim-');
  const { catalog } = await catalogWithUsers(t);
  const log = new MemoryLog();
  const node = { id: 'node-serial', version: '0.0.0-test', started: Date.now() };
  const probe = { exists: () => false, kernelConsoles: [], uartType: () => undefined, resolve: (p: string) => p };
  const line = openSerialLine({
    config: { enabled: true, path: '', baudRate: 115200 }, log, simRoot: join(dir, 'hw'), probe,
    onOpen: (stream) => {
      const s = serveSerialConsole(stream, { accounts: catalog, interpreter: statusInterpreter, node, log, firstBoot: () => undefined });
      return () => s.close();
    },
  });
  t.teardown(() => line.stop());
  for (let i = 0; i < 100 && !line.status().open; i++) await new Promise((r) => setTimeout(r, 50));
  t.ok(line.simulated);

  const a = socatTerminal(t, line.path);
  await a.waitFor(/colony login: $/);
  a.send('alice\n');
  await a.waitFor(/password: $/);
  a.send(`${PASSWORDS.alice}\n`);
  await a.waitFor(/colony> $/);
  let m = a.text.length;
  a.send('whoami\n');
  t.match(await a.waitFor(/colony> $/, m), /alice/);
  a.child.kill('SIGKILL');
  for (let i = 0; i < 100 && !log.lines.some((l) => l.msg === 'simulated serial line: the terminal left'); i++) await new Promise((r) => setTimeout(r, 50));

  const b = socatTerminal(t, line.path);
  const fresh = await b.waitFor(/colony login: $/);
  t.notMatch(fresh, /colony> /, 'the old session is gone: a login, not a prompt');
  m = b.text.length;
  b.send('whoami\n');
  await b.waitFor(/password: $/, m);
  t.pass('whoami was taken as a user name, not a command');
});

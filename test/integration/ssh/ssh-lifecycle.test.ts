// Listening and closing: a taken port is a clear error; close() lets a running command
// finish, ends idle consoles with a goodbye, and refuses new connections.
import { join } from 'node:path';
import t from 'tap';
import { SshConsole, type Interpreter } from '../../../appliance/console/ssh/index.js';
import { echoInterpreter, ssh, sshWorld, Terminal } from './helpers.js';

t.test('a port in use is an error that names the address', async (t) => {
  const w = await sshWorld(t);
  const other = new SshConsole({ catalog: w.catalog, interpreter: echoInterpreter, hostKeyPath: join(w.dir, 'k2') });
  const err = await other.listen(`127.0.0.1:${w.port}`).catch((e: unknown) => e);
  t.match(err, { code: 'COLONY_IO', message: new RegExp(`127\\.0\\.0\\.1:${w.port}.*(EADDRINUSE|in use)`) });
  await t.rejects(other.listen('nonsense'), { code: 'COLONY_INVALID' });
});

t.test('close drains: the running command finishes, idle consoles are told, new logins are refused', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  const slow: Interpreter = {
    async run(user, line) {
      if (line === 'slow') { started(); await gate; return { output: 'slow done' }; }
      return echoInterpreter.run(user, line);
    },
  };
  const w = await sshWorld(t, { interpreter: slow });
  const term = await Terminal.open(t, w, 'bob');
  await term.waitFor(/colony>$/);
  const inFlight = ssh(w, 'alice', ['slow']);
  await running;
  const closing = w.server.close(10_000);
  const goodbye = await term.waitFor(/ssh exited/, 'the idle console to end');
  t.match(goodbye, /shutting down; goodbye/);
  release();
  const r = await inFlight;
  t.same({ code: r.code, stdout: r.stdout }, { code: 0, stdout: 'slow done\n' }, 'the running command finished and answered');
  await closing;
  const after = await ssh(w, 'alice', ['whoami']);
  t.equal(after.code, 255, 'no more logins');
  await w.server.close();
  t.pass('close twice is fine');
});

// The serial line's life on real ptys (socat pairs) and on the simulated unix socket: it
// opens, hands out a stream, survives the device going away (logged, retried with
// backoff) and comes back when a device appears at the configured path again.
import { spawn } from 'node:child_process';
import { statSync, symlinkSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { MemoryLog } from '../../../../appliance/log.js';
import { openSerialLine, SIM_SOCKET, type LineStream } from '../../../../hw/serial/index.js';
import { tmpDir } from '../../../helpers/tmp.js';
import { Far, ptyPair } from '../../console/serial/helpers.js';

/** An echo service on the line: answers `echo: LINE` for each line, so a test sees the line work. */
function echoOnOpen(opened: string[]) {
  return (stream: LineStream) => {
    opened.push('open');
    stream.on('data', (b: Buffer) => stream.write(`echo: ${b.toString()}`));
    return () => { opened.push('closed'); };
  };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}`);
}

t.test('the device goes away (socat killed): logged and retried; a new device at the same path: back', async (t) => {
  const dir = await tmpDir(t, 'colony-serial-line-');
  const link = join(dir, 'ttyCOLONY');
  const first = await ptyPair(t);
  symlinkSync(first.a, link);
  const log = new MemoryLog();
  const opened: string[] = [];
  const line = openSerialLine({ config: { enabled: true, path: link, baudRate: 115200 }, log, simRoot: join(dir, 'hw'), onOpen: echoOnOpen(opened), retry: { baseMs: 100, maxMs: 400 } });
  t.teardown(() => line.stop());
  t.equal(line.simulated, false);
  t.equal(line.path, link);
  // Opening the port flushes its input, and serialport loads at the first open: what is
  // typed before the line is open may be dropped, so wait for it as a user waits for a prompt.
  await until('open', () => line.status().open);
  const far = await Far.open(t, first.b);
  far.send('one\n');
  await far.waitFor(/echo: one/);
  t.same(line.status(), { open: true, retries: 0 });

  await first.kill();
  await until('the line noticed', () => opened.includes('closed'));
  await until('a retry was logged', () => log.lines.some((l) => l.msg === 'serial line failed; retrying' && l.level === 'warn'));
  const failure = log.lines.find((l) => l.msg === 'serial line failed; retrying')!;
  t.ok(failure.err, 'logged with { err }');
  t.equal(failure.path, link);
  await until('several retries', () => line.status().retries >= 2);
  t.equal(line.status().open, false);
  t.ok(line.status().error, 'status says why');
  const warns = log.lines.filter((l) => l.msg === 'serial line failed; retrying' && l.level === 'warn').length;
  t.ok(warns <= 3, 'the same error again is not a new warning');

  const second = await ptyPair(t);
  unlinkSync(link);
  symlinkSync(second.a, link);
  await until('open again', () => line.status().open);
  t.ok(log.lines.some((l) => l.msg === 'serial port open again'));
  const far2 = await Far.open(t, second.b);
  far2.send('two\n');
  await far2.waitFor(/echo: two/);
  t.same(opened, ['open', 'closed', 'open']);
  t.same(line.status(), { open: true, retries: line.status().retries }, 'no error while open');
  await line.stop();
  t.same(opened, ['open', 'closed', 'open', 'closed'], 'stop() runs the clean-up');
});

t.test('a configured device that is missing at start is retried, not simulated', async (t) => {
  const dir = await tmpDir(t, 'colony-serial-line-');
  const log = new MemoryLog();
  const line = openSerialLine({ config: { enabled: true, path: join(dir, 'ttyUSB9'), baudRate: 115200 }, log, simRoot: join(dir, 'hw'), onOpen: () => {}, retry: { baseMs: 50, maxMs: 100 } });
  t.teardown(() => line.stop());
  t.equal(line.simulated, false);
  await until('retrying', () => line.status().retries >= 2);
  t.match(line.status().error ?? '', /No such file|ENOENT/);
});

t.test('a port held by another process: busy, retried; free again: opened', async (t) => {
  const pair = await ptyPair(t);
  const dir = await tmpDir(t, 'colony-serial-line-');
  // flock(LOCK_EX), as serialport's lock takes it, held by a process group we start and kill.
  const holder = spawn('flock', ['-x', pair.a, 'sh', '-c', 'echo locked; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  const killHolder = () => { try { process.kill(-holder.pid!, 'SIGKILL'); } catch { /* gone */ } };
  t.teardown(killHolder);
  await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  const log = new MemoryLog();
  const opened: string[] = [];
  const line = openSerialLine({ config: { enabled: true, path: pair.a, baudRate: 115200 }, log, simRoot: join(dir, 'hw'), onOpen: echoOnOpen(opened), retry: { baseMs: 50, maxMs: 200 } });
  t.teardown(() => line.stop());
  await until('refused as busy', () => line.status().retries >= 1);
  t.match(line.status().error ?? '', /lock|temporarily unavailable/i);
  t.same(opened, []);
  killHolder();
  await until('opened once free', () => line.status().open);
  const far = await Far.open(t, pair.b);
  far.send('free\n');
  await far.waitFor(/echo: free/);
});

t.test('no port: a simulated line on simRoot/serial.sock (0600), said once, one terminal at a time', async (t) => {
  const dir = await tmpDir(t, 'colony-serial-sim-');
  const log = new MemoryLog();
  const opened: string[] = [];
  const probe = { exists: () => false, kernelConsoles: [], uartType: () => undefined, resolve: (p: string) => p };
  const line = openSerialLine({ config: { enabled: true, path: '', baudRate: 115200 }, log, simRoot: join(dir, 'hw'), onOpen: echoOnOpen(opened), probe });
  t.teardown(() => line.stop());
  t.equal(line.simulated, true);
  const sock = join(dir, 'hw', SIM_SOCKET);
  t.equal(line.path, sock);
  await until('listening', () => line.status().open);
  t.equal(statSync(sock).mode & 0o777, 0o600, 'mode 0600');
  const said = log.lines.filter((l) => /simulated/.test(l.msg));
  t.equal(said.length, 1, 'said once');
  t.match(said[0]!.msg, new RegExp(`socat -,raw,echo=0 UNIX-CONNECT:${sock}`));

  // socat as the terminal, the way the README says.
  const socat = spawn('socat', ['-', `UNIX-CONNECT:${sock}`], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.teardown(() => { if (socat.exitCode === null) socat.kill('SIGKILL'); });
  let out = '';
  socat.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  socat.stdin.write('hello\n');
  await until('echoed through the socket', () => out.includes('echo: hello'));

  const second = createConnection(sock);
  let refused = '';
  second.on('data', (b: Buffer) => { refused += b.toString(); });
  await new Promise<void>((resolve) => second.on('close', () => resolve()));
  t.match(refused, /in use/, 'a second terminal is told and closed');
  t.same(opened, ['open']);

  socat.kill('SIGKILL');
  await until('the terminal left', () => opened.includes('closed'));
  const third = createConnection(sock);
  t.teardown(() => third.destroy());
  let got = '';
  third.on('data', (b: Buffer) => { got += b.toString(); });
  third.write('again\n');
  await until('a new terminal is served', () => got.includes('echo: again'));
  await line.stop();
  t.throws(() => statSync(sock), 'the socket is removed at stop');
});

t.test('disabled: nothing is opened', async (t) => {
  const opened: string[] = [];
  const line = openSerialLine({ config: { enabled: false, path: '', baudRate: 115200 }, log: new MemoryLog(), simRoot: '/nonexistent', onOpen: echoOnOpen(opened) });
  t.same(line.status(), { open: false, error: 'disabled', retries: 0 });
  await line.stop();
  t.same(opened, []);
});

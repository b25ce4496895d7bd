// The board on a machine with none of it (a laptop, CI): the real `colony serve` finds no LED
// and no serial port, says so once in the log each, and drives the simulated ones in DATA/hw,
// which keep the kernel's file formats. The LEDs follow the supervisor's state (ready,
// identify, degraded, stopped); the simulated serial line offers the login console.
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { serve, waitForHealth } from './serve-helpers.js';

const led = async (data: string, role: string) => {
  const dir = join(data, 'hw', 'leds', role);
  const trigger = /\[([^\]]+)\]/.exec(await readFile(join(dir, 'trigger'), 'utf8'))?.[1];
  const brightness = (await readFile(join(dir, 'brightness'), 'utf8')).trim();
  const extra = trigger === 'pattern' ? (await readFile(join(dir, 'pattern'), 'utf8')).trim() : trigger === 'timer' ? (await readFile(join(dir, 'delay_on'), 'utf8')).trim() : '';
  return { trigger, brightness, extra };
};

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 200; i++) {
    last = await fn().catch(() => undefined as T);
    if (last !== undefined && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: last ${JSON.stringify(last)}`);
}

const logLines = (stderr: string, msg: RegExp) => stderr.split('\n').filter((l) => l.startsWith('{') && msg.test((JSON.parse(l) as { msg: string }).msg));

t.test('simulated LEDs follow the state: ready, identify, stopped; said once in the log', async (t) => {
  const data = await tmpDir(t);
  const s = serve(t, data);
  const health = await waitForHealth(data, (h) => h.state === 'ready', s);
  t.match(health, { board: { leds: /ready|booting/ } }, 'health.json carries the board');
  t.same(await until('status LED ready', () => led(data, 'status'), (l) => l.trigger === 'none' && l.brightness === '255'), { trigger: 'none', brightness: '255', extra: '' }, 'ready: steady on');
  t.equal(logLines(s.stderr(), /LEDs are simulated/).length, 1, 'the simulated LEDs are said once');
  t.equal(logLines(s.stderr(), /serial console is simulated/).length, 1, 'the simulated serial line is said once');

  const id = await runCli(['console', '--data', data, '--user', 'admin'], { input: 'identify 60\nnode\n' });
  t.equal(id.code, 0, id.stderr);
  t.match(id.stdout.toString(), /identifying for 60 s on status .*hw\/leds\/status, power .*hw\/leds\/power/);
  t.match(id.stdout.toString(), /\nleds identify \(sim: /, 'node shows the condition and the backend');
  t.match(id.stdout.toString(), /\nmemory [\d.]+ \w+ available of /);
  t.match(id.stdout.toString(), /\nserial \S+serial\.sock simulated/);
  const blinking = await until('identify pattern', () => led(data, 'status'), (l) => l.trigger === 'pattern');
  // Each step twice with a 0 ms edge: the kernel's pattern trigger ramps between steps otherwise.
  t.equal(blinking.extra, '255 150 255 0 0 150 0 0 255 150 255 0 0 1050 0 0', 'the identify pattern, in the kernel pattern trigger');
  t.ok(await until('identify on power', () => led(data, 'power'), (l) => l.trigger === 'pattern'), 'on both LEDs');

  const stop = await runCli(['console', '--data', data, '--user', 'admin'], { input: 'identify 0\n' });
  t.match(stop.stdout.toString(), /identify stopped/);
  await until('back to ready', () => led(data, 'status'), (l) => l.trigger === 'none' && l.brightness === '255');

  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0);
  t.same(await until('restored', () => led(data, 'status'), (l) => l.brightness === '0'), { trigger: 'none', brightness: '0', extra: '' }, 'stopped: the LED is as it was found (the sim starts off)');
});

t.test('a disk past its reserve makes the node degraded, and the power LED says so', async (t) => {
  const data = await tmpDir(t);
  const config = join(data, '..', `colony-${process.pid}-hw.json`);
  await writeFile(config, JSON.stringify({ sysinfo: { diskReserveBytes: 2 ** 50 } }));
  t.teardown(() => import('node:fs/promises').then((fs) => fs.rm(config, { force: true })));
  const s = serve(t, data, { args: ['--config', config] });
  const h = await waitForHealth(data, (x) => x.state === 'degraded', s);
  t.match((h as { error?: string }).error, /disk/, 'health says why');
  const power = await until('power LED degraded', () => led(data, 'power'), (l) => l.trigger === 'timer');
  t.equal(power.extra, '1000', 'a slow blink on power');
  t.match(logLines(s.stderr(), /^degraded: .*disk/).length, 1, 'logged once');
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0);
});

t.test('the simulated serial line: first-boot facts, login, a one-time password changed, the registry', async (t) => {
  const data = await tmpDir(t);
  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  const password = (await readFile(join(data, 'first-admin-password'), 'utf8')).trim();
  const line: Socket = connect(join(data, 'hw', 'serial.sock'));
  t.teardown(() => line.destroy());
  let seen = '';
  line.on('data', (b: Buffer) => { seen += b.toString(); });
  await once(line, 'connect');
  const expect = async (re: RegExp, what: string) => until(what, async () => seen, (x) => re.test(x));
  line.write('\r');
  await expect(/colony login: $/, 'the login prompt');
  t.match(seen, new RegExp(`${password}`), 'before any admin logged in, the banner shows the one-time password');
  const node = JSON.parse(await readFile(join(data, 'health.json'), 'utf8')) as { pid: number };
  t.ok(node.pid, 'health written');
  line.write('admin\r');
  await expect(/password: $/, 'the password prompt');
  line.write(`${password}\r`);
  await expect(/new password: $/, 'a one-time password must be changed');
  line.write('serial-pw-1\r');
  await expect(/new password again: $/, 'asked twice');
  line.write('serial-pw-1\r');
  await expect(/colony> $/, 'the console prompt');
  seen = '';
  line.write('whoami\r');
  await expect(/admin \(admin\)[\s\S]*colony> $/, 'whoami through the registry');
  line.write('exit\r');
  await expect(/colony login: $/, 'exit goes back to the login prompt');
  t.notMatch(seen.split('colony login:').at(-2) ?? '', new RegExp(password), 'once changed, the password is not shown again');
  line.end();
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0);
});

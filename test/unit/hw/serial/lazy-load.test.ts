// serialport loads at the first open of a real device, not when the serial line's module (or
// the supervisor that imports it) loads (issue 20, idle cost); when it cannot load, the
// line's status and log say so, and the line retries like any other failure.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import t from 'tap';
import { MemoryLog } from '../../../../appliance/log.js';
import { openSerialLine } from '../../../../hw/serial/index.js';
import { tmpDir } from '../../../helpers/tmp.js';

const loaded = (pkg: string) => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes(`/node_modules/${pkg}/`));

t.test('importing hw/serial loads no serialport; opening a device does', async (t) => {
  t.equal(loaded('serialport'), false, 'not loaded at import');
  const dir = await tmpDir(t, 'colony-serial-lazy-');
  const log = new MemoryLog();
  const line = openSerialLine({ config: { enabled: true, path: join(dir, 'ttyNONE'), baudRate: 115200 }, log, simRoot: join(dir, 'hw'), onOpen: () => {}, retry: { baseMs: 60_000, maxMs: 60_000 } });
  t.teardown(() => line.stop());
  for (let i = 0; i < 200 && line.status().retries === 0; i++) await new Promise((r) => setTimeout(r, 25));
  t.equal(loaded('serialport'), true, 'loaded at the first open');
  t.match(line.status().error ?? '', /ttyNONE|No such file/, 'the open failed on the missing device, not on the module');
});

t.test('serialport that does not load: the status and the log name the module', async (t) => {
  const dir = await tmpDir(t, 'colony-serial-lazy-');
  const log = new MemoryLog();
  let tries = 0;
  const importSerialPort = () => { tries++; return Promise.reject(new Error('No native build was found for platform=linux arch=riscv64')); };
  const line = openSerialLine({ config: { enabled: true, path: '/dev/ttyS9', baudRate: 115200 }, log, simRoot: join(dir, 'hw'), onOpen: () => {}, retry: { baseMs: 20, maxMs: 40 }, importSerialPort });
  t.teardown(() => line.stop());
  for (let i = 0; i < 200 && line.status().retries < 2; i++) await new Promise((r) => setTimeout(r, 25));
  t.equal(line.status().open, false);
  t.ok(line.status().retries >= 2, 'retried');
  t.ok(tries >= 2, 'the import is tried again at each retry');
  t.match(line.status().error ?? '', /COLONY_UNSUPPORTED: the serial console needs the serialport module, which did not load: No native build was found/);
  const warn = log.lines.find((l) => l.msg === 'serial line failed; retrying' && l.level === 'warn');
  t.ok(warn, 'logged at warn');
  t.equal(warn!.path, '/dev/ttyS9');
});

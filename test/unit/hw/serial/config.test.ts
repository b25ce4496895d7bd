// The serial config, the auto choice of port, and the retry schedule, as data.
import t from 'tap';
import { checkSerialConfig, choosePort, defaultSerialConfig, retryDelay, type PortProbe } from '../../../../hw/serial/index.js';

t.test('defaults and merging', async (t) => {
  t.same(defaultSerialConfig(), { enabled: true, path: '', baudRate: 115200 });
  t.same(checkSerialConfig(undefined, 'serial'), defaultSerialConfig());
  t.same(checkSerialConfig({ path: '/dev/ttyUSB0' }, 'serial'), { enabled: true, path: '/dev/ttyUSB0', baudRate: 115200 });
  t.same(checkSerialConfig({ enabled: false, baudRate: 9600, path: '' }, 'serial'), { enabled: false, path: '', baudRate: 9600 });
});

t.test('every mistake names its key', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [[], /config key 'serial': expected an object/],
    ['ttyS0', /config key 'serial': expected an object/],
    [{ enabled: 'yes' }, /'serial\.enabled': expected true or false/],
    [{ path: 'ttyS0' }, /'serial\.path': expected '' \(auto\) or an absolute device path/],
    [{ path: 5 }, /'serial\.path'/],
    [{ baudRate: 115201 }, /'serial\.baudRate': expected one of .*115200/],
    [{ baudRate: '115200' }, /'serial\.baudRate'/],
    [{ speed: 9600 }, /config key 'serial\.speed' is not known \(known: enabled, path, baudRate\)/],
  ];
  for (const [v, re] of bad) t.throws(() => checkSerialConfig(v, 'serial'), { code: 'COLONY_INVALID', message: re }, JSON.stringify(v));
});

const probe = (o: Partial<PortProbe> & { present?: string[]; links?: Record<string, string>; types?: Record<string, number> }): PortProbe => ({
  exists: (p) => (o.present ?? []).includes(p),
  kernelConsoles: o.kernelConsoles ?? [],
  uartType: (n) => o.types?.[n],
  resolve: (p) => o.links?.[p] ?? p,
});

t.test('choosePort', async (t) => {
  const auto = defaultSerialConfig();
  t.same(choosePort({ ...auto, path: '/dev/ttyUSB0' }, probe({})), { kind: 'device', path: '/dev/ttyUSB0' }, 'a configured path is used even when missing');
  t.same(choosePort(auto, probe({ present: ['/dev/serial0', '/dev/ttyS0'], links: { '/dev/serial0': '/dev/ttyAMA0' } })), { kind: 'device', path: '/dev/serial0' }, 'a Pi: serial0');
  t.same(choosePort(auto, probe({ present: ['/dev/ttyS0'], types: { ttyS0: 4 } })), { kind: 'device', path: '/dev/ttyS0' }, 'amd64: ttyS0 with a 16550A');
  t.same(choosePort(auto, probe({ present: ['/dev/ttyS0'], types: { ttyS0: 0 } })), { kind: 'sim', why: '/dev/serial0 does not exist; /dev/ttyS0 has no UART behind it; /dev/ttyAMA0 does not exist' });
  t.same(choosePort(auto, probe({ present: ['/dev/ttyS0'], types: { ttyS0: 4 }, kernelConsoles: ['ttyS0'] })), { kind: 'sim', why: '/dev/serial0 does not exist; /dev/ttyS0 is the kernel console; /dev/ttyAMA0 does not exist' });
  t.same(choosePort(auto, probe({ present: ['/dev/serial0', '/dev/ttyS0'], links: { '/dev/serial0': '/dev/ttyS0' }, kernelConsoles: ['ttyS0'] })).kind, 'sim', 'serial0 resolving to the console is skipped too');
  t.same(choosePort(auto, probe({})), { kind: 'sim', why: '/dev/serial0 does not exist; /dev/ttyS0 does not exist; /dev/ttyAMA0 does not exist' });
  t.same(choosePort(auto, probe({ present: ['/dev/ttyAMA0'], types: { ttyAMA0: 91 } })), { kind: 'device', path: '/dev/ttyAMA0' }, 'an ARM VM (QEMU virt): its PL011');
  t.same(choosePort(auto, probe({ present: ['/dev/ttyAMA0'], types: { ttyAMA0: 91 }, kernelConsoles: ['ttyAMA0'] })).kind, 'sim', 'not when it is the kernel console');
  t.same(choosePort(auto, probe({ present: ['/dev/serial0', '/dev/ttyAMA0'], links: { '/dev/serial0': '/dev/ttyS1' }, types: { ttyS1: 4, ttyAMA0: 91 } })), { kind: 'device', path: '/dev/serial0' }, 'a Pi 4 with the image: serial0 (the mini UART), not Bluetooth\'s ttyAMA0');
});

t.test('retryDelay: 1 s doubling to 30 s', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 100].map((n) => retryDelay(n)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  t.same([1, 2, 3].map((n) => retryDelay(n, { baseMs: 50, maxMs: 120 })), [50, 100, 120]);
});

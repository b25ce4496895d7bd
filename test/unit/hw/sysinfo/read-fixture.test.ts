// readSample against a fixture root: proc/ and sys/ files in the kernel's exact formats,
// written by hand here (not by writeSimBoard) so that they pin the formats themselves.
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { readSample } from '../../../../hw/sysinfo/read.js';
import { writeSimBoard } from '../../../../hw/sysinfo/sim.js';
import { tmpDir } from '../../../helpers/tmp.js';
import { recordingLog } from './log.js';

async function put(root: string, rel: string, text: string) {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), text);
}

/** A Pi 4 as its kernel shows it: two thermal zones (one hotter), a cooling device, the rpi_volt hwmon. */
async function pi(t: Test) {
  const root = await tmpDir(t, 'colony-sysinfo-');
  await put(root, 'proc/meminfo', 'MemTotal:        3880180 kB\nMemFree:         2967880 kB\nMemAvailable:    3459732 kB\nBuffers:           42104 kB\n');
  await put(root, 'proc/loadavg', '0.52 0.58 0.59 2/311 4021\n');
  await put(root, 'proc/uptime', '350735.47 1373012.31\n');
  await put(root, 'sys/class/thermal/thermal_zone0/type', 'cpu-thermal\n');
  await put(root, 'sys/class/thermal/thermal_zone0/temp', '51121\n');
  await put(root, 'sys/class/thermal/thermal_zone1/type', 'rp1_adc\n');
  await put(root, 'sys/class/thermal/thermal_zone1/temp', '56300\n');
  await put(root, 'sys/class/thermal/cooling_device0/type', 'pwm-fan\n');
  await put(root, 'sys/class/hwmon/hwmon0/name', 'cpu_thermal\n');
  await put(root, 'sys/class/hwmon/hwmon1/name', 'rpi_volt\n');
  await put(root, 'sys/class/hwmon/hwmon1/in0_lcrit_alarm', '0\n');
  return root;
}

t.test('a Pi: memory, load, uptime, the hottest zone, the power alarm, the data disk', async (t) => {
  const root = await pi(t);
  const dataDir = await tmpDir(t);
  const s = await readSample({ root, dataDir });
  t.same(s.memory, { totalBytes: 3880180 * 1024, availableBytes: 3459732 * 1024 });
  t.same(s.load, [0.52, 0.58, 0.59]);
  t.equal(s.uptimeSeconds, 350735.47);
  t.same(s.thermalZones, [{ name: 'thermal_zone0', type: 'cpu-thermal', c: 51.121 }, { name: 'thermal_zone1', type: 'rp1_adc', c: 56.3 }]);
  t.equal(s.temperatureC, 56.3, 'the hottest zone');
  t.equal(s.throttled, 'ok');
  t.equal(s.disk?.path, dataDir);
  t.ok(s.disk!.totalBytes > 0 && s.disk!.availableBytes <= s.disk!.freeBytes && s.disk!.freeBytes <= s.disk!.totalBytes);
  t.ok(Math.abs(s.at - Date.now()) < 60_000, 'at is now, in ms');

  await put(root, 'sys/class/hwmon/hwmon1/in0_lcrit_alarm', '1\n');
  t.equal((await readSample({ root, dataDir })).throttled, 'under-voltage');
});

t.test('zones in numeric order: thermal_zone10 after thermal_zone2', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root, { thermal: [{ type: 'a', c: 1 }, { type: 'b', c: 2 }, { type: 'c', c: 3 }] });
  for (let i = 3; i <= 10; i++) {
    await put(root, `sys/class/thermal/thermal_zone${i}/type`, `z${i}\n`);
    await put(root, `sys/class/thermal/thermal_zone${i}/temp`, `${i}000\n`);
  }
  const s = await readSample({ root, dataDir: root });
  t.same(s.thermalZones.map((z) => z.name), Array.from({ length: 11 }, (_, i) => `thermal_zone${i}`));
  t.equal(s.temperatureC, 10);
});

t.test('no thermal directory (a VM): temperature null, no zones, no log', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root, {});
  const { log, lines } = recordingLog();
  const s = await readSample({ root, dataDir: root, log });
  t.equal(s.temperatureC, null);
  t.same(s.thermalZones, []);
  t.equal(s.throttled, undefined, 'not a Pi: no power alarm');
  t.same(lines, []);
  await mkdir(join(root, 'sys/class/thermal'), { recursive: true });
  t.equal((await readSample({ root, dataDir: root })).temperatureC, null, 'an empty thermal class: null too');
});

t.test('a garbled or unreadable zone is left out and told; the sample stands', async (t) => {
  const root = await pi(t);
  await put(root, 'sys/class/thermal/thermal_zone1/temp', 'hot\n');
  await put(root, 'sys/class/thermal/thermal_zone2/type', 'iwlwifi_1\n'); // no temp file: as a zone that cannot be read
  const { log, count } = recordingLog();
  const s = await readSample({ root, dataDir: root, log });
  t.same(s.thermalZones.map((z) => z.name), ['thermal_zone0']);
  t.equal(s.temperatureC, 51.121);
  t.equal(count('warn', /thermal_zone1\/temp: not a whole number of millidegrees \(read .*hot/), 1);
  t.equal(count('warn', /thermal_zone2: ENOENT/), 1);
});

t.test('a garbled power alarm is left out and told', async (t) => {
  const root = await pi(t);
  await put(root, 'sys/class/hwmon/hwmon1/in0_lcrit_alarm', 'maybe\n');
  const { log, count } = recordingLog();
  t.equal((await readSample({ root, dataDir: root, log })).throttled, undefined);
  t.equal(count('warn', /in0_lcrit_alarm: expected 0 or 1/), 1);
  await rm(join(root, 'sys/class/hwmon/hwmon1/in0_lcrit_alarm'));
  t.equal((await readSample({ root, dataDir: root, log })).throttled, undefined);
  t.equal(count('warn', /in0_lcrit_alarm: ENOENT/), 1);
});

t.test('hwmon entries without a name are passed over', async (t) => {
  const root = await pi(t);
  await mkdir(join(root, 'sys/class/hwmon/hwmon2'), { recursive: true });
  await rm(join(root, 'sys/class/hwmon/hwmon1'), { recursive: true });
  await put(root, 'sys/class/hwmon/hwmon3/name', 'rpi_volt\n');
  await put(root, 'sys/class/hwmon/hwmon3/in0_lcrit_alarm', '1\n');
  t.equal((await readSample({ root, dataDir: root })).throttled, 'under-voltage');
});

t.test('a missing data directory: disk null, told', async (t) => {
  const root = await pi(t);
  const { log, count } = recordingLog();
  const s = await readSample({ root, dataDir: join(root, 'no-such-dir'), log });
  t.equal(s.disk, null);
  t.equal(count('warn', /statfs .*no-such-dir: ENOENT/), 1);
});

t.test('the data directory through a symlink: statfs follows it', async (t) => {
  const root = await pi(t);
  await symlink(root, join(root, 'link'));
  t.ok((await readSample({ root, dataDir: join(root, 'link') })).disk);
});

t.test('garbled memory, load or uptime: a clear COLONY_CORRUPT_DATA, never zeros', async (t) => {
  for (const [rel, text, re] of [
    ['proc/meminfo', 'MemTotal: 12\n', /proc\/meminfo: no MemTotal line/],
    ['proc/loadavg', '\n', /proc\/loadavg: not "L1 L5 L15/],
    ['proc/uptime', 'x y\n', /proc\/uptime: not "UPTIME IDLE"/],
  ] as const) {
    const root = await pi(t);
    await put(root, rel, text);
    await t.rejects(readSample({ root, dataDir: root }), { code: 'COLONY_CORRUPT_DATA', message: re }, rel);
  }
  const root = await pi(t);
  await rm(join(root, 'proc/uptime'));
  await t.rejects(readSample({ root, dataDir: root }), { code: 'ENOENT' }, 'a missing proc file is the read error itself');
});

t.test('writeSimBoard writes what readSample reads back', async (t) => {
  const root = await tmpDir(t);
  const GiB = 1024 ** 3;
  await writeSimBoard(root, { memTotalBytes: 2 * GiB, memAvailableBytes: GiB, load: [1.5, 0.25, 0], uptimeSeconds: 99.5, thermal: [{ type: 'cpu-thermal', c: -4.5 }, { type: 'gpu', c: 61.25 }], model: 'Raspberry Pi 5 Model B Rev 1.0', underVoltage: true });
  const s = await readSample({ root, dataDir: root });
  t.same([s.memory, s.load, s.uptimeSeconds, s.temperatureC, s.throttled], [{ totalBytes: 2 * GiB, availableBytes: GiB }, [1.5, 0.25, 0], 99.5, 61.25, 'under-voltage']);
  t.same(s.thermalZones.map((z) => [z.type, z.c]), [['cpu-thermal', -4.5], ['gpu', 61.25]]);
});

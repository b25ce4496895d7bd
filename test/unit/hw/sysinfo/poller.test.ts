// startSysinfo on a simulated board: polls on its own, one poll at a time, tells each
// problem once, survives a garbled file, and stops.
import { mkdir, writeFile } from 'node:fs/promises';
import { arch } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { defaultSysinfoConfig } from '../../../../hw/sysinfo/config.js';
import { writeSimBoard } from '../../../../hw/sysinfo/sim.js';
import { startSysinfo, type Sysinfo } from '../../../../hw/sysinfo/sysinfo.js';
import type { SysSample } from '../../../../hw/sysinfo/types.js';
import { tmpDir } from '../../../helpers/tmp.js';
import { recordingLog } from './log.js';

const config = { ...defaultSysinfoConfig(), pollSeconds: 3600 };

/** The next sample the poller publishes, or a failure after 20 s (a bound, not a timing assertion). */
function nextSample(si: Sysinfo): Promise<SysSample> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error('no sample within 20 s')); }, 20_000);
    const off = si.onSample((s) => { clearTimeout(timer); off(); resolve(s); });
  });
}

t.test('polls on its own, says once that the board is simulated', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root, { thermal: [{ type: 'cpu-thermal', c: 47 }] });
  const { log, count } = recordingLog();
  const si = startSysinfo({ config: { ...config, pollSeconds: 1 }, dataDir: root, log, root });
  t.teardown(() => si.stop());
  const first = await nextSample(si);
  t.equal(first.temperatureC, 47);
  await writeSimBoard(root, { thermal: [{ type: 'cpu-thermal', c: 81 }] });
  // Polls continue on the timer alone; the changed file shows in a later one (bounded).
  let later = await nextSample(si);
  for (let i = 0; i < 5 && later.temperatureC !== 81; i++) later = await nextSample(si);
  t.equal(later.temperatureC, 81);
  t.equal(si.latest(), later);
  t.equal(count('info', /simulated board/), 1);
});

t.test('one poll at a time: concurrent sample() calls share one read', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root);
  const { log } = recordingLog();
  const si = startSysinfo({ config, dataDir: root, log, root });
  t.teardown(() => si.stop());
  const seen: SysSample[] = [];
  si.onSample((s) => seen.push(s));
  const [a, b] = await Promise.all([si.sample(), si.sample()]);
  t.equal(a, b, 'the same sample object');
  const c = await si.sample();
  t.not(c, a, 'a later call reads again');
  t.ok(seen.includes(a) && seen.includes(c));
  t.equal(seen.filter((s) => s === a).length, 1, 'listeners hear each poll once');
});

t.test('listeners: unsubscribe, and one that throws is logged without stopping the others', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root);
  const { log, count } = recordingLog();
  const si = startSysinfo({ config, dataDir: root, log, root });
  t.teardown(() => si.stop());
  let heard = 0;
  let gone = 0;
  si.onSample(() => { throw new Error('listener bug'); });
  si.onSample(() => { heard++; });
  const off = si.onSample(() => { gone++; });
  await si.sample();
  off();
  const before = gone;
  await si.sample();
  t.ok(heard >= 2);
  t.equal(gone, before, 'no calls after unsubscribing');
  t.ok(count('error', /a sample listener threw/) >= 2);
});

t.test('a garbled /proc/meminfo: sample() rejects, told once, the last sample stands, then recovers', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root);
  const { log, count } = recordingLog();
  const si = startSysinfo({ config, dataDir: root, log, root });
  t.teardown(() => si.stop());
  const good = await si.sample();
  await writeFile(join(root, 'proc/meminfo'), 'MemTotal: garbage\n');
  for (let i = 0; i < 3; i++) await t.rejects(si.sample(), { code: 'COLONY_CORRUPT_DATA', message: /meminfo: no MemTotal line/ });
  t.equal(si.latest(), good, 'latest() keeps the last good sample');
  t.equal(count('warn', /cannot read a sample/), 1, 'told once, not per poll');
  await writeSimBoard(root);
  t.ok(await si.sample());
  t.equal(count('info', /samples are read again/), 1);
});

t.test('optional parts: each problem told when it appears, not every poll', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root, { thermal: [{ type: 'cpu-thermal', c: 40 }] });
  const { log, count } = recordingLog();
  const si = startSysinfo({ config, dataDir: join(root, 'absent'), log, root });
  t.teardown(() => si.stop());
  for (let i = 0; i < 3; i++) t.equal((await si.sample()).disk, null);
  t.equal(count('warn', /statfs .*absent/), 1);
  await mkdir(join(root, 'absent'));
  t.ok((await si.sample()).disk);
  await writeFile(join(root, 'sys/class/thermal/thermal_zone0/temp'), '??\n');
  for (let i = 0; i < 3; i++) t.equal((await si.sample()).temperatureC, null);
  t.equal(count('warn', /thermal_zone0\/temp/), 1);
  t.equal(count('info', /no thermal zone/), 1, 'no temperature: said once');
});

t.test('stop(): sample() refuses with COLONY_CLOSED', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root);
  const { log } = recordingLog();
  const si = startSysinfo({ config, dataDir: root, log, root });
  si.stop();
  await t.rejects(si.sample(), { code: 'COLONY_CLOSED' });
  si.stop(); // twice is harmless
});

t.test('inventory of a simulated board: direct reads under the root, read once', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root, { model: 'Raspberry Pi 4 Model B Rev 1.4' });
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/os-release'), 'PRETTY_NAME="Colony Sim 1 (test)"\nID=colony\n');
  for (const [name, sectors, rotational] of [['mmcblk0', 62333952, '0'], ['sda', 1953525168, '1'], ['nvme0n1', 1000215216, '0'], ['loop0', 1000, '0'], ['zram0', 0, '0'], ['sdb', 0, '0']] as const) {
    await mkdir(join(root, 'sys/block', name, 'queue'), { recursive: true });
    await writeFile(join(root, 'sys/block', name, 'size'), `${sectors}\n`);
    await writeFile(join(root, 'sys/block', name, 'queue/rotational'), `${rotational}\n`);
  }
  const { log, count } = recordingLog();
  const si = startSysinfo({ config, dataDir: root, log, root });
  t.teardown(() => si.stop());
  const inv = await si.inventory();
  t.equal(inv.board, 'Raspberry Pi 4 Model B Rev 1.4');
  t.equal(inv.os, 'Colony Sim 1 (test)');
  t.equal(inv.arch, arch());
  t.ok(inv.cpus >= 1);
  t.same(inv.disks, [
    { name: 'mmcblk0', type: 'mmc', sizeBytes: 62333952 * 512 },
    { name: 'nvme0n1', type: 'nvme', sizeBytes: 1000215216 * 512 },
    { name: 'sda', type: 'hdd', sizeBytes: 1953525168 * 512 },
  ], 'whole disks only; loop, zram and empty ones left out');
  t.ok(inv.interfaces.every((i) => i.name !== 'lo' && i.addresses.length > 0));
  t.equal(await si.inventory(), inv, 'cached: the same object');
  t.equal(count('warn', /systeminformation/), 0, 'a simulated board never runs systeminformation');
});

t.test('inventory of a bare simulated board: no model, no os-release, no disks', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root);
  const { log } = recordingLog();
  const si = startSysinfo({ config, dataDir: root, log, root });
  t.teardown(() => si.stop());
  const inv = await si.inventory();
  t.equal(inv.board, null);
  t.equal(inv.os, 'Linux');
  t.same(inv.disks, []);
});

/** The descriptors this process holds open under `dir`. */
async function fdsUnder(dir: string): Promise<string[]> {
  const { readdir, readlink } = await import('node:fs/promises');
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) out.push(target);
  }
  return out;
}

t.test('the board files stay open between polls and are closed by stop()', async (t) => {
  const root = await tmpDir(t);
  await writeSimBoard(root, { thermal: [{ type: 'cpu-thermal', c: 40 }], underVoltage: false });
  const { log } = recordingLog();
  // Node closes a forgotten FileHandle when it is collected, and warns: count those too.
  let collected = 0;
  const onWarning = (w: Error) => { if (/on garbage collection/.test(w.message)) collected++; };
  process.on('warning', onWarning);
  t.teardown(() => { process.off('warning', onWarning); });
  const si = startSysinfo({ config, dataDir: root, log, root });
  await si.sample();
  const open = await fdsUnder(root);
  t.same(open.map((p) => p.slice(root.length)).sort(), ['/proc/loadavg', '/proc/meminfo', '/proc/uptime', '/sys/class/hwmon/hwmon0/in0_lcrit_alarm', '/sys/class/thermal/thermal_zone0/temp']);
  await si.sample();
  t.equal((await fdsUnder(root)).length, open.length, 'no new descriptors per poll');
  si.stop();
  // The close runs after the last poll; wait for it, bounded.
  for (let i = 0; i < 50 && (await fdsUnder(root)).length; i++) await new Promise((r) => setTimeout(r, 10));
  t.same(await fdsUnder(root), []);
  t.equal(collected, 0, 'closed by stop(), not by the garbage collector');
});

t.test('a board whose files are not there yet: the next poll opens them again', async (t) => {
  const root = await tmpDir(t);
  const { log, count } = recordingLog();
  const si = startSysinfo({ config, dataDir: root, log, root });
  t.teardown(() => si.stop());
  await t.rejects(si.sample(), { code: 'ENOENT' });
  await writeSimBoard(root, { memAvailableBytes: 123 * 1024 * 1024 });
  t.equal((await si.sample()).memory.availableBytes, 123 * 1024 * 1024);
  t.equal(count('warn', /cannot read a sample/), 1);
});

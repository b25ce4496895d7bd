// The hot path: one sample from small /proc and /sys files and one statfs. No subprocess,
// no systeminformation (which forks ~18 processes per networkInterfaces call and runs
// some of them with execSync, blocking the event loop).
import { readdir, readFile, statfs } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Log } from '../../appliance/log.js';
import { parseLine, parseLoadavg, parseMeminfo, parseMillidegrees, parseUptime } from './parse.js';
import type { DiskSpace, SysSample, ThermalZone } from './types.js';

export interface ReadOptions {
  /** '' (the default) reads the real /proc and /sys; otherwise a directory holding proc/ and sys/ copies. */
  root?: string;
  /** The data directory, whose filesystem `disk` describes. */
  dataDir: string;
  /** Where the parts that could not be read (a garbled thermal zone, no data directory) are told, at warn. */
  log?: Log;
}

/** A path under the root: `at('', 'proc/meminfo')` is /proc/meminfo. */
export const at = (root: string, rel: string) => (root ? join(root, rel) : `/${rel}`);

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One sample. Throws (COLONY_CORRUPT_DATA, or the read's error) only if memory, load or uptime cannot be read. */
export async function readSample(opts: ReadOptions): Promise<SysSample> {
  const root = opts.root ?? '';
  const problems: string[] = [];
  const sample = await sampleWith(root, opts.dataDir, await findVoltAlarm(root), problems);
  for (const problem of problems) opts.log?.warn({ problem }, 'sysinfo: part of the sample could not be read');
  return sample;
}

/**
 * The sample, with the Pi's under-voltage alarm file already found (or null). What could
 * not be read but is optional (thermal zones, disk, alarm) goes to `problems`, and the
 * sample leaves it out; the caller decides how often to log it.
 */
export async function sampleWith(root: string, dataDir: string, voltAlarm: string | null, problems: string[]): Promise<SysSample> {
  const [meminfo, loadavg, uptime, zones, disk, throttled] = await Promise.all([
    readFile(at(root, 'proc/meminfo'), 'latin1'),
    readFile(at(root, 'proc/loadavg'), 'latin1'),
    readFile(at(root, 'proc/uptime'), 'latin1'),
    thermalZones(root, problems),
    diskSpace(dataDir, problems),
    voltAlarm === null ? undefined : readVoltAlarm(voltAlarm, problems),
  ]);
  const sample: SysSample = {
    at: Date.now(),
    temperatureC: zones.length ? Math.max(...zones.map((z) => z.c)) : null,
    thermalZones: zones,
    memory: parseMeminfo(meminfo, at(root, 'proc/meminfo')),
    load: parseLoadavg(loadavg, at(root, 'proc/loadavg')),
    uptimeSeconds: parseUptime(uptime, at(root, 'proc/uptime')),
    disk,
  };
  if (throttled !== undefined) sample.throttled = throttled;
  return sample;
}

/** Every /sys/class/thermal/thermal_zone*: none (a VM, a container) is an empty list, not an error. */
async function thermalZones(root: string, problems: string[]): Promise<ThermalZone[]> {
  const dir = at(root, 'sys/class/thermal');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith('thermal_zone'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${dir}: ${errText(err)}`);
    return [];
  }
  const zones = await Promise.all(names.sort(byNumber).map(async (name): Promise<ThermalZone | undefined> => {
    const temp = join(dir, name, 'temp');
    try {
      const [t, type] = await Promise.all([readFile(temp, 'latin1'), readFile(join(dir, name, 'type'), 'latin1')]);
      return { name, type: parseLine(type), c: parseMillidegrees(t, temp) };
    } catch (err) {
      // Some zones refuse to be read while their device sleeps (ENODATA, EAGAIN): skip them.
      problems.push(`${temp}: ${errText(err)}`);
      return undefined;
    }
  }));
  return zones.filter((z) => z !== undefined);
}

const byNumber = (a: string, b: string) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, ''));

async function diskSpace(path: string, problems: string[]): Promise<DiskSpace | null> {
  try {
    const s = await statfs(path);
    return { path, totalBytes: s.blocks * s.bsize, freeBytes: s.bfree * s.bsize, availableBytes: s.bavail * s.bsize };
  } catch (err) {
    problems.push(`statfs ${path}: ${errText(err)}`);
    return null;
  }
}

/**
 * The Pi firmware's under-voltage alarm: the `rpi_volt` hwmon's in0_lcrit_alarm (mainline
 * and Raspberry Pi kernels alike). Not the older soc:firmware/get_throttled file: recent
 * Raspberry Pi kernels WARN (and taint) when it is read. Found by name, since hwmon
 * numbers are not stable across boots; null when the board has none.
 */
export async function findVoltAlarm(root: string): Promise<string | null> {
  const dir = at(root, 'sys/class/hwmon');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  for (const name of names.sort(byNumber)) {
    try {
      if (parseLine(await readFile(join(dir, name, 'name'), 'latin1')) === 'rpi_volt') return join(dir, name, 'in0_lcrit_alarm');
    } catch {
      // A hwmon without a readable name is not the one we look for.
    }
  }
  return null;
}

async function readVoltAlarm(file: string, problems: string[]): Promise<string | undefined> {
  try {
    const v = parseLine(await readFile(file, 'latin1'));
    if (v === '0') return 'ok';
    if (v === '1') return 'under-voltage';
    problems.push(`${file}: expected 0 or 1, read ${JSON.stringify(v)}`);
  } catch (err) {
    problems.push(`${file}: ${errText(err)}`);
  }
  return undefined;
}

/**
 * The addresses others can reach this node at, from os.networkInterfaces() (a system
 * call, no subprocess): IPv4 first, then IPv6, loopback left out, and IPv6 link-local
 * (fe80::/10) too, since it is useless without an interface suffix.
 */
export function addresses(): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!/^fe[89ab]/i.test(a.address)) v6.push(a.address);
    }
  }
  return [...new Set([...v4, ...v6])];
}

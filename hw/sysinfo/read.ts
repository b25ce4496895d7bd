// The hot path: one sample from small /proc and /sys files and one statfs. No subprocess,
// no systeminformation (which forks ~18 processes per networkInterfaces call and runs
// some of them with execSync, blocking the event loop).
//
// A BoardReader opens its files once and re-reads each at offset 0 on every poll: procfs
// and sysfs regenerate a file's text when it is read from the start, and one positioned
// read is one thread-pool trip where readFile() is five (open, fstat, read, read, close):
// 20 µs of CPU against 100 µs per file, measured by bench/hw.
import { open, readdir, readFile, statfs, type FileHandle } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { corruptData } from '../../appliance/errors.js';
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
  const reader = await BoardReader.open(opts.root ?? '');
  try {
    const problems: string[] = [];
    const sample = await reader.sample(opts.dataDir, problems);
    for (const problem of problems) opts.log?.warn({ problem }, 'sysinfo: part of the sample could not be read');
    return sample;
  } finally {
    await reader.close();
  }
}

/** An open file re-read from offset 0; its buffer grows to fit the file (up to 1 MiB). */
class Source {
  private buf: Buffer;
  constructor(readonly path: string, private readonly fh: FileHandle, size: number) { this.buf = Buffer.allocUnsafe(size); }

  async text(): Promise<string> {
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, 0, this.buf.length, 0);
      if (bytesRead < this.buf.length) return this.buf.toString('latin1', 0, bytesRead);
      if (this.buf.length >= 1 << 20) throw corruptData(`${this.path}: longer than 1 MiB`);
      this.buf = Buffer.allocUnsafe(this.buf.length * 2);
    }
  }

  close() { return this.fh.close(); }

  static async open(path: string, size = 256): Promise<Source> {
    return new Source(path, await open(path, 'r'), size);
  }
}

/**
 * The board's files, opened once. Thermal zones and the Pi's power alarm are found at
 * open: they are fixed while the board runs (a simulated board rewrites the same files in
 * place). Concurrency: one sample() at a time (its buffers are shared between polls);
 * close() after the last one.
 */
export class BoardReader {
  private constructor(
    private readonly essential: { meminfo: Source; loadavg: Source; uptime: Source },
    private readonly zones: Array<{ name: string; type: string; temp: Source }>,
    private readonly voltAlarm: Source | undefined,
    /** What could not be opened: told with every sample, as readings that are missing. */
    private readonly missing: string[],
  ) {}

  static async open(root: string): Promise<BoardReader> {
    const opened: Source[] = [];
    const keep = (s: Source) => { opened.push(s); return s; };
    const missing: string[] = [];
    try {
      const [meminfo, loadavg, uptime] = await Promise.all([
        Source.open(at(root, 'proc/meminfo'), 4096).then(keep),
        Source.open(at(root, 'proc/loadavg')).then(keep),
        Source.open(at(root, 'proc/uptime')).then(keep),
      ]);
      const zones = await openZones(root, missing, keep);
      const alarmPath = await findVoltAlarm(root);
      let voltAlarm: Source | undefined;
      if (alarmPath) voltAlarm = await Source.open(alarmPath).then(keep, (err) => { missing.push(`${alarmPath}: ${errText(err)}`); return undefined; });
      return new BoardReader({ meminfo, loadavg, uptime }, zones, voltAlarm, missing);
    } catch (err) {
      await Promise.all(opened.map((s) => s.close().catch(() => {})));
      throw err;
    }
  }

  /**
   * One sample. What is optional and could not be read (a thermal zone, the disk, the
   * alarm) goes to `problems` and is left out; the caller decides how often to tell it.
   */
  async sample(dataDir: string, problems: string[]): Promise<SysSample> {
    problems.push(...this.missing);
    const { meminfo, loadavg, uptime } = this.essential;
    const [mem, load, up, zones, disk, throttled] = await Promise.all([
      meminfo.text(), loadavg.text(), uptime.text(),
      this.readZones(problems),
      diskSpace(dataDir, problems),
      this.voltAlarm && readVoltAlarm(this.voltAlarm, problems),
    ]);
    const sample: SysSample = {
      at: Date.now(),
      temperatureC: zones.length ? Math.max(...zones.map((z) => z.c)) : null,
      thermalZones: zones,
      memory: parseMeminfo(mem, meminfo.path),
      load: parseLoadavg(load, loadavg.path),
      uptimeSeconds: parseUptime(up, uptime.path),
      disk,
    };
    if (throttled !== undefined) sample.throttled = throttled;
    return sample;
  }

  async close(): Promise<void> {
    const all = [...Object.values(this.essential), ...this.zones.map((z) => z.temp), ...(this.voltAlarm ? [this.voltAlarm] : [])];
    await Promise.all(all.map((s) => s.close().catch(() => {})));
  }

  private async readZones(problems: string[]): Promise<ThermalZone[]> {
    const zones = await Promise.all(this.zones.map(async ({ name, type, temp }): Promise<ThermalZone | undefined> => {
      try {
        return { name, type, c: parseMillidegrees(await temp.text(), temp.path) };
      } catch (err) {
        // Some zones refuse to be read while their device sleeps (ENODATA, EAGAIN): skip them.
        problems.push(`${temp.path}: ${errText(err)}`);
        return undefined;
      }
    }));
    return zones.filter((z) => z !== undefined);
  }
}

/** Every /sys/class/thermal/thermal_zone*: none (a VM, a container) is an empty list, not an error. */
async function openZones(root: string, missing: string[], keep: (s: Source) => Source) {
  const dir = at(root, 'sys/class/thermal');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith('thermal_zone'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') missing.push(`${dir}: ${errText(err)}`);
    return [];
  }
  const zones: Array<{ name: string; type: string; temp: Source }> = [];
  for (const name of names.sort(byNumber)) {
    try {
      const type = parseLine(await readFile(join(dir, name, 'type'), 'latin1'));
      zones.push({ name, type, temp: keep(await Source.open(join(dir, name, 'temp'))) });
    } catch (err) {
      missing.push(`${join(dir, name)}: ${errText(err)}`);
    }
  }
  return zones;
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

async function readVoltAlarm(file: Source, problems: string[]): Promise<string | undefined> {
  try {
    const v = parseLine(await file.text());
    if (v === '0') return 'ok';
    if (v === '1') return 'under-voltage';
    problems.push(`${file.path}: expected 0 or 1, read ${JSON.stringify(v)}`);
  } catch (err) {
    problems.push(`${file.path}: ${errText(err)}`);
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

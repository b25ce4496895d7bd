// Pure parsers of the kernel's text formats. Each throws COLONY_CORRUPT_DATA naming the
// file when the text is not what the kernel writes, so a garbled file (a broken sim tree,
// a kernel we do not know) is reported, never read as zero.
import { corruptData } from '../../appliance/errors.js';

const garbled = (file: string, why: string, text: string) =>
  corruptData(`${file}: ${why} (read ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)})`);

/** /proc/meminfo (`MemTotal:       24683772 kB` lines): MemTotal and MemAvailable in bytes. */
export function parseMeminfo(text: string, file = '/proc/meminfo'): { totalBytes: number; availableBytes: number } {
  let total: number | undefined;
  let available: number | undefined;
  for (const line of text.split('\n')) {
    // Only the two lines we need; the file has ~50 and grows with kernel versions.
    const m = /^(MemTotal|MemAvailable):\s+(\d+) kB$/.exec(line);
    if (!m) continue;
    if (m[1] === 'MemTotal') total = Number(m[2]) * 1024;
    else available = Number(m[2]) * 1024;
  }
  if (total === undefined) throw garbled(file, 'no MemTotal line', text);
  // MemAvailable appeared in Linux 3.14; every kernel we run on has it.
  if (available === undefined) throw garbled(file, 'no MemAvailable line', text);
  return { totalBytes: total, availableBytes: available };
}

/** /proc/loadavg (`0.06 0.71 1.37 1/120 6898`): the three load averages. */
export function parseLoadavg(text: string, file = '/proc/loadavg'): [number, number, number] {
  const m = /^(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) \d+\/\d+ \d+\n?$/.exec(text);
  if (!m) throw garbled(file, 'not "L1 L5 L15 RUNNING/TOTAL LASTPID"', text);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** /proc/uptime (`44430.59 31292.20`): seconds since boot. */
export function parseUptime(text: string, file = '/proc/uptime'): number {
  const m = /^(\d+(?:\.\d+)?) \d+(?:\.\d+)?\n?$/.exec(text);
  if (!m) throw garbled(file, 'not "UPTIME IDLE"', text);
  return Number(m[1]);
}

/** A thermal zone's `temp` (`45277`, millidegrees Celsius; negative below zero) in °C. */
export function parseMillidegrees(text: string, file: string): number {
  const m = /^(-?\d+)\n?$/.exec(text);
  if (!m) throw garbled(file, 'not a whole number of millidegrees', text);
  return Number(m[1]) / 1000;
}

/** A one-line sysfs attribute (`cpu-thermal\n`), or the device tree's NUL-terminated string. */
export function parseLine(text: string): string {
  return text.replace(/\0+$/, '').trim();
}

/** /etc/os-release: PRETTY_NAME (quotes and escapes as os-release(5) allows), or undefined. */
export function parsePrettyName(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^PRETTY_NAME=(.*)$/.exec(line.trim());
    if (!m) continue;
    const v = m[1]!;
    const quoted = /^(["'])(.*)\1$/.exec(v);
    return quoted ? quoted[2]!.replace(/\\(.)/g, '$1') : v;
  }
  return undefined;
}

// A simulated board: the /proc and /sys files readSample reads, written in the kernel's
// exact formats under a root directory. The supervisor's sim backend and the tests use it;
// rewriting a file changes what the next poll sees.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SimBoard {
  memTotalBytes?: number;
  memAvailableBytes?: number;
  load?: [number, number, number];
  uptimeSeconds?: number;
  /** Thermal zones in order (thermal_zone0, 1, …); absent: no sys/class/thermal at all, as in many VMs. */
  thermal?: Array<{ type: string; c: number }>;
  /** proc/device-tree/model, e.g. `Raspberry Pi 4 Model B Rev 1.4`. */
  model?: string;
  /** A Pi's rpi_volt hwmon alarm; absent: no such hwmon. */
  underVoltage?: boolean;
}

const MiB = 1024 * 1024;

/** One /proc/meminfo line: a 16-column label, the value right-aligned in 8, then ` kB` (fs/proc/meminfo.c). */
const kb = (label: string, bytes: number) => `${`${label}:`.padEnd(16)}${String(Math.floor(bytes / 1024)).padStart(8)} kB\n`;

export async function writeSimBoard(root: string, b: SimBoard = {}): Promise<void> {
  const total = b.memTotalBytes ?? 1024 * MiB;
  const available = b.memAvailableBytes ?? 700 * MiB;
  const [l1, l5, l15] = b.load ?? [0.08, 0.03, 0.01];
  const up = b.uptimeSeconds ?? 1234.56;
  await mkdir(join(root, 'proc'), { recursive: true });
  await writeFile(join(root, 'proc/meminfo'),
    kb('MemTotal', total) + kb('MemFree', Math.max(0, available - 100 * MiB)) + kb('MemAvailable', available) +
    kb('Buffers', 20 * MiB) + kb('Cached', 80 * MiB) + kb('SwapCached', 0) + kb('SwapTotal', 0) + kb('SwapFree', 0));
  await writeFile(join(root, 'proc/loadavg'), `${l1.toFixed(2)} ${l5.toFixed(2)} ${l15.toFixed(2)} 1/97 4242\n`);
  await writeFile(join(root, 'proc/uptime'), `${up.toFixed(2)} ${(up * 3.5).toFixed(2)}\n`);
  if (b.thermal) {
    await mkdir(join(root, 'sys/class/thermal'), { recursive: true });
    for (const [i, z] of b.thermal.entries()) {
      const dir = join(root, `sys/class/thermal/thermal_zone${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'type'), `${z.type}\n`);
      await writeFile(join(dir, 'temp'), `${Math.round(z.c * 1000)}\n`);
    }
  }
  if (b.model !== undefined) {
    await mkdir(join(root, 'proc/device-tree'), { recursive: true });
    await writeFile(join(root, 'proc/device-tree/model'), `${b.model}\0`); // the device tree's strings end in NUL, no newline
  }
  if (b.underVoltage !== undefined) {
    const dir = join(root, 'sys/class/hwmon/hwmon0');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'name'), 'rpi_volt\n');
    await writeFile(join(dir, 'in0_lcrit_alarm'), b.underVoltage ? '1\n' : '0\n');
  }
}

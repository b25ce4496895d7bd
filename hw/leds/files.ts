// The file layer under the sysfs driver. The real one is node:fs on /sys/class/leds plus
// modprobe; the simulated one (sim.ts) is a model of the kernel's LED class over an
// ordinary directory. One driver runs over either, so the tests exercise the real logic.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface LedFiles {
  /** The root this layer serves (/sys/class/leds or a simulated tree). */
  readonly root: string;
  /** Whether the root is a simulated tree (sim.ts). */
  readonly simulated: boolean;
  read(device: string, attr: string): Promise<string>;
  /** Writes like `echo VALUE > ATTR`; fails with the kernel's errno (EINVAL, ENOENT, EACCES). */
  write(device: string, attr: string, value: string): Promise<void>;
  has(device: string, attr: string): Promise<boolean>;
  writable(device: string, attr: string): Promise<boolean>;
  /** Loads ledtrig-NAME; true when it loaded. */
  modprobe(trigger: string): Promise<boolean>;
}

export function realFiles(root: string): LedFiles {
  const path = (device: string, attr: string) => join(root, device, attr);
  return {
    root,
    simulated: false,
    read: (device, attr) => readFile(path(device, attr), 'utf8'),
    // O_WRONLY without O_CREAT: sysfs attributes exist or the write must fail, never create.
    write: (device, attr, value) => writeFile(path(device, attr), `${value}\n`, { flag: constants.O_WRONLY }),
    has: (device, attr) => access(path(device, attr)).then(() => true, () => false),
    writable: (device, attr) => access(path(device, attr), constants.W_OK).then(() => true, () => false),
    modprobe: (trigger) => new Promise((resolve) => {
      execFile('modprobe', [`ledtrig-${trigger}`], { timeout: 10_000 }, (err) => resolve(!err));
    }),
  };
}

/** The LED-class device names under `root`, or [] when it does not exist. */
export async function listDevices(root: string): Promise<string[]> {
  try { return (await readdir(root)).filter((n) => !n.startsWith('.')).sort(); } catch { return []; }
}

/** The trigger file's text: every trigger, the active one in [brackets]. */
export function parseTriggers(text: string): { available: string[]; active: string } {
  let active = 'none';
  const available = text.trim().split(/\s+/).filter(Boolean).map((w) => {
    const m = /^\[(.*)\]$/.exec(w);
    if (m) { active = m[1]!; return m[1]!; }
    return w;
  });
  return { available, active };
}

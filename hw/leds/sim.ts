// A model of the kernel's LED class over an ordinary directory: the files have the kernel's
// formats (trigger list with the active one in [brackets], brightness, max_brightness,
// per-trigger files that appear and vanish with the trigger), so a person can `cat` them,
// and writes behave as the kernel's do (EINVAL for an unknown trigger or a bad value,
// brightness 0 removes the trigger). The tree's root holds `.colony-sim-leds.json`: the
// registered triggers and the ones `modprobe` can load. Used by the sim backend and as a
// fake /sys/class/leds in tests.
import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listDevices, parseTriggers, type LedFiles } from './files.js';

export const SIM_MARKER = '.colony-sim-leds.json';

export interface SimKernel {
  /** Registered triggers (besides `none`), in registration order. */
  triggers: string[];
  /** Triggers `modprobe ledtrig-NAME` can load. */
  modules: string[];
}

export interface SimDevice { name: string; maxBrightness?: number; trigger?: string; brightness?: number }

/** Files each trigger adds, with their values right after activation (the kernel's defaults). */
const TRIGGER_FILES: Record<string, Record<string, string>> = {
  timer: { delay_on: '500', delay_off: '500' },
  pattern: { pattern: '', repeat: '-1' },
  heartbeat: { invert: '0' },
  oneshot: { delay_on: '100', delay_off: '100', invert: '0', shot: '' },
};

const sysError = (code: string, what: string) => Object.assign(new Error(`${code}: ${what}`), { code });

function renderTriggers(kernel: SimKernel, active: string): string {
  return [active === 'none' ? '[none]' : 'none', ...kernel.triggers.map((t) => (t === active ? `[${t}]` : t))].join(' ') + '\n';
}

/** Creates (or refills) a simulated LED-class tree at `root` with `devices`. */
export async function makeSimTree(root: string, kernel: SimKernel, devices: SimDevice[]): Promise<void> {
  await mkdir(root, { recursive: true });
  await writeFile(join(root, SIM_MARKER), JSON.stringify(kernel, null, 1) + '\n');
  const files = simFiles(root);
  for (const d of devices) {
    const dir = join(root, d.name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    await writeFile(join(dir, 'max_brightness'), `${d.maxBrightness ?? 255}\n`);
    await writeFile(join(dir, 'brightness'), '0\n');
    await writeFile(join(dir, 'trigger'), renderTriggers(kernel, 'none'));
    if (d.trigger && d.trigger !== 'none') await files.write(d.name, 'trigger', d.trigger);
    if (d.brightness) await files.write(d.name, 'brightness', String(d.brightness));
  }
}

/**
 * A fake /sys/class/leds like the Debian kernel's in the QEMU guest, plus a Pi's ACT:
 * `mmc0::` (trigger mmc0, max 1), `input0::capslock` (kbd-capslock), `ACT` (mmc0, max 255).
 * `timer`, `pattern` and `heartbeat` are modules, not loaded, unless `loaded` names them.
 */
export async function makeFakeSysfs(root: string, opts: { loaded?: string[]; modules?: string[]; devices?: SimDevice[] } = {}): Promise<string> {
  const modules = opts.modules ?? ['timer', 'pattern', 'heartbeat', 'oneshot'];
  const loaded = opts.loaded ?? [];
  const kernel: SimKernel = {
    triggers: ['kbd-scrolllock', 'kbd-numlock', 'kbd-capslock', 'kbd-kanalock', 'default-on', 'mmc0', ...loaded],
    modules: modules.filter((m) => !loaded.includes(m)),
  };
  await makeSimTree(root, kernel, opts.devices ?? [
    { name: 'mmc0::', maxBrightness: 1, trigger: 'mmc0' },
    { name: 'input0::capslock', maxBrightness: 1, trigger: 'kbd-capslock' },
    { name: 'ACT', maxBrightness: 255, trigger: 'mmc0' },
  ]);
  return root;
}

export async function isSimTree(root: string): Promise<boolean> {
  return access(join(root, SIM_MARKER)).then(() => true, () => false);
}

export function simFiles(root: string): LedFiles {
  const path = (device: string, attr: string) => join(root, device, attr);
  const kernel = async (): Promise<SimKernel> => JSON.parse(await readFile(join(root, SIM_MARKER), 'utf8')) as SimKernel;
  const put = (device: string, attr: string, value: string) => writeFile(path(device, attr), value);
  const maxOf = async (device: string) => Number((await readFile(path(device, 'max_brightness'), 'utf8')).trim());
  const uint = (value: string, what: string) => {
    if (!/^\d+$/.test(value)) throw sysError('EINVAL', `${what}: ${JSON.stringify(value)} is not a number`);
    return Number(value);
  };

  async function setTrigger(device: string, name: string): Promise<void> {
    const k = await kernel();
    if (name !== 'none' && !k.triggers.includes(name)) throw sysError('EINVAL', `no trigger '${name}'`);
    const { active } = parseTriggers(await readFile(path(device, 'trigger'), 'utf8'));
    // Deactivating removes the old trigger's files and turns the LED off, as led_trigger_set does.
    for (const f of Object.keys(TRIGGER_FILES[active] ?? {})) await unlink(path(device, f)).catch(() => {});
    await put(device, 'brightness', '0\n');
    await put(device, 'trigger', renderTriggers(k, name));
    for (const [f, v] of Object.entries(TRIGGER_FILES[name] ?? {})) await put(device, f, v === '' ? '' : `${v}\n`);
    if (name === 'default-on') await put(device, 'brightness', `${await maxOf(device)}\n`);
  }

  return {
    root,
    simulated: true,
    read: (device, attr) => readFile(path(device, attr), 'utf8'),
    has: (device, attr) => access(path(device, attr)).then(() => true, () => false),
    writable: (device, attr) => access(path(device, attr), constants.W_OK).then(() => true, () => false),
    async write(device, attr, raw) {
      const value = raw.replace(/\n$/, '');
      if (!(await access(path(device, attr)).then(() => true, () => false))) throw sysError('ENOENT', `${path(device, attr)} does not exist`);
      switch (attr) {
        case 'trigger': return setTrigger(device, value.trim());
        case 'brightness': {
          // Over max is clamped; 0 removes any trigger first (brightness_store).
          const n = Math.min(uint(value.trim(), 'brightness'), await maxOf(device));
          if (n === 0) await setTrigger(device, 'none');
          return put(device, 'brightness', `${n}\n`);
        }
        case 'delay_on': case 'delay_off': return put(device, attr, `${uint(value.trim(), attr)}\n`);
        case 'repeat': {
          if (!/^-?\d+$/.test(value.trim()) || Number(value) < -1 || Number(value) === 0) throw sysError('EINVAL', `repeat: ${JSON.stringify(value)}`);
          return put(device, attr, `${Number(value)}\n`);
        }
        case 'pattern': {
          // "brightness duration" pairs; at least two tuples; no brightness over max (ledtrig-pattern).
          const words = value.trim().split(/\s+/).filter(Boolean);
          const max = await maxOf(device);
          const bad = words.length < 4 || words.length % 2 !== 0 || words.some((w) => !/^\d+$/.test(w)) ||
            words.some((w, i) => i % 2 === 0 && Number(w) > max);
          if (bad) { await put(device, attr, ''); throw sysError('EINVAL', `pattern: ${JSON.stringify(value)}`); }
          return put(device, attr, words.join(' ') + '\n');
        }
        case 'max_brightness': throw sysError('EACCES', 'max_brightness is read-only');
        default: return put(device, attr, `${value}\n`);
      }
    },
    async modprobe(trigger) {
      const k = await kernel();
      if (!k.modules.includes(trigger)) return false;
      const next: SimKernel = { triggers: [...k.triggers, trigger], modules: k.modules.filter((m) => m !== trigger) };
      await writeFile(join(root, SIM_MARKER), JSON.stringify(next, null, 1) + '\n');
      // A newly registered trigger shows up in every LED's list.
      for (const d of await listDevices(root)) {
        const { active } = parseTriggers(await readFile(path(d, 'trigger'), 'utf8'));
        await put(d, 'trigger', renderTriggers(next, active));
      }
      return true;
    },
  };
}

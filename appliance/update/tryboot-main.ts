// RAUC's custom bootloader backend on the Raspberry Pi image (run by image/update/backend-pi):
//   get-primary | get-state SLOT | set-state SLOT good|bad | set-primary SLOT | get-current
//   check          exit 1 with the reason when this machine cannot do a tryboot update
// The decisions are tryboot.ts's; this reads the state and carries a plan out. Paths come
// from the environment so tests run it on directories: COLONY_UPDATE_BOOT (the FAT boot
// partition), COLONY_UPDATE_SLOTS (A/ and B/, the slots' roots), COLONY_UPDATE_TRYBOOT_FILE,
// COLONY_UPDATE_CMDLINE, COLONY_UPDATE_KALLSYMS, COLONY_UPDATE_REBOOT_PARAM.
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ColonyError } from '../errors.js';
import { bootedFrom, flagFrom, planGetPrimary, planGetState, planSetPrimary, planSetState, slotDir, tryBootUnsupported, type BootState, type Plan, type SlotName } from './tryboot.js';

const env = process.env;
const run = '/run/colony-update';
const read = (f: string) => { try { return readFileSync(f, 'utf8'); } catch { return null; } };
const layoutVar = (name: string) => {
  const text = read(env.COLONY_UPDATE_LAYOUT ?? '/usr/lib/colony/update/layout.env') ?? '';
  const v = new RegExp(`^${name}=(\\S+)`, 'm').exec(text)?.[1];
  if (!v) throw new ColonyError('COLONY_INVALID', `layout.env has no ${name}`);
  return v;
};
const partuuid = (n: number) => `${layoutVar('MBR_SIGNATURE')}-${String(n).padStart(2, '0')}`;
const rootPartuuid = (slot: SlotName) => partuuid(slot === 'A' ? 2 : 3);
const mounted: string[] = [];
const booted = (cmdline: string) => bootedFrom(cmdline, { A: rootPartuuid('A'), B: rootPartuuid('B') });

function mountAt(dev: string, dir: string, opts: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-o', opts, dev, dir], { stdio: 'inherit' });
  mounted.push(dir);
  return dir;
}

/** The FAT boot partition: the test's directory, or mounted read-write for this call. */
function bootDir(): string {
  return env.COLONY_UPDATE_BOOT ?? mountAt(`/dev/disk/by-partuuid/${partuuid(1)}`, join(run, 'boot'), 'rw,flush,umask=0022');
}

function slotRoot(slot: SlotName): string {
  return env.COLONY_UPDATE_SLOTS ? join(env.COLONY_UPDATE_SLOTS, slot) : mountAt(`/dev/disk/by-partuuid/${rootPartuuid(slot)}`, join(run, 'slot'), 'ro');
}

function state(boot: string): BootState {
  const cell = (() => { try { return readFileSync(env.COLONY_UPDATE_TRYBOOT_FILE ?? '/proc/device-tree/chosen/bootloader/tryboot'); } catch { return null; } })();
  return {
    config: read(join(boot, 'config.txt')) ?? '',
    tryboot: read(join(boot, 'tryboot.txt')),
    flag: flagFrom(cell),
    booted: booted(read(env.COLONY_UPDATE_CMDLINE ?? '/proc/cmdline') ?? ''),
  };
}

/** FAT has no journal: write a temporary file, fsync it, rename it over, fsync the directory. */
function writeAtomic(file: string, text: string) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.new`;
  const fd = openSync(tmp, 'w');
  try { writeSync(fd, text); fsyncSync(fd); } finally { closeSync(fd); }
  renameSync(tmp, file);
  syncDir(dirname(file));
}
function syncDir(dir: string) {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } catch { /* some filesystems refuse fsync on a directory */ } finally { closeSync(fd); }
}

/** The slot's kernel, initramfs and device trees, from its own root, into slot-x/ on FAT. */
function copySlot(boot: string, slot: SlotName) {
  const root = slotRoot(slot);
  const kvers = (() => { try { return readdirSync(join(root, 'lib', 'modules')); } catch { return []; } })().sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const kver = kvers.at(-1);
  const kernel = kver && join(root, 'boot', `vmlinuz-${kver}`);
  const initrd = kver && join(root, 'boot', `initrd.img-${kver}`);
  if (!kernel || !initrd || !existsSync(kernel) || !existsSync(initrd)) throw new ColonyError('COLONY_INVALID', `slot ${slot} has no kernel and initrd in /boot`);
  const dtbDir = join(root, 'usr', 'lib', `linux-image-${kver}`, 'broadcom');
  const dtbs = (() => { try { return readdirSync(dtbDir).filter((f) => /^bcm27\d\d-rpi-.*\.dtb$|^bcm2837-rpi-.*\.dtb$/.test(f)); } catch { return []; } })();
  if (dtbs.length === 0) throw new ColonyError('COLONY_INVALID', `slot ${slot} has no Raspberry Pi device trees in ${dtbDir.slice(root.length)}`);
  const dir = join(boot, slotDir(slot));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(kernel, join(dir, 'vmlinuz'));
  copyFileSync(initrd, join(dir, 'initrd.img'));
  for (const f of dtbs) copyFileSync(join(dtbDir, f), join(dir, f));
  if (!env.COLONY_UPDATE_SLOTS) { execFileSync('umount', [root]); mounted.splice(mounted.indexOf(root), 1); }
}

function carryOut(boot: string, p: Plan) {
  if (p.copySlot) copySlot(boot, p.copySlot);
  for (const w of p.write) writeAtomic(join(boot, w.file), w.text);
  for (const r of p.remove) { rmSync(join(boot, r), { force: true }); syncDir(boot); }
  if (p.rebootParam) writeAtomic(env.COLONY_UPDATE_REBOOT_PARAM ?? '/run/systemd/reboot-param', `${p.rebootParam}\n`);
  if (p.note) process.stderr.write(`colony-backend: ${p.note}\n`);
  if (p.out) process.stdout.write(`${p.out}\n`);
}

function unsupported(): string | undefined {
  const flagFile = env.COLONY_UPDATE_TRYBOOT_FILE ?? '/proc/device-tree/chosen/bootloader/tryboot';
  return tryBootUnsupported(existsSync(flagFile), read(env.COLONY_UPDATE_KALLSYMS ?? '/proc/kallsyms') ?? '');
}

function slotArg(v: string | undefined): SlotName {
  if (v !== 'A' && v !== 'B') throw new ColonyError('COLONY_USAGE', `no slot ${v ?? '(none)'}: A or B`);
  return v;
}

export function main(argv: string[]): number {
  const [verb, a1, a2] = argv;
  try {
    if (verb === 'get-current') { process.stdout.write(`${booted(read(env.COLONY_UPDATE_CMDLINE ?? '/proc/cmdline') ?? '')}\n`); return 0; }
    if (verb === 'check') { const why = unsupported(); if (why) { process.stderr.write(`${why}\n`); return 1; } return 0; }
    const boot = bootDir();
    const st = state(boot);
    let p: Plan;
    switch (verb) {
      case 'get-primary': p = planGetPrimary(st); break;
      case 'get-state': p = planGetState(st, slotArg(a1)); break;
      case 'set-state': {
        if (a2 !== 'good' && a2 !== 'bad') throw new ColonyError('COLONY_USAGE', `set-state: good or bad, not ${a2 ?? '(none)'}`);
        const slot = slotArg(a1);
        // RAUC marks the slot it is about to write bad first: refuse there, before anything is written.
        if (a2 === 'bad') { const why = unsupported(); if (why) throw new ColonyError('COLONY_UNSUPPORTED', why); }
        p = planSetState(st, slot, a2 === 'good');
        break;
      }
      case 'set-primary': {
        const slot = slotArg(a1);
        const why = unsupported();
        if (why && slot !== bootedOrCommitted(st)) throw new ColonyError('COLONY_UNSUPPORTED', why);
        const committedCmdline = read(join(boot, slotDir(bootedOrCommitted(st)), 'cmdline.txt')) ?? '';
        p = planSetPrimary(st, slot, committedCmdline, rootPartuuid(slot));
        break;
      }
      default: throw new ColonyError('COLONY_USAGE', 'usage: backend-pi get-primary|get-state SLOT|set-state SLOT good|bad|set-primary SLOT|get-current|check');
    }
    carryOut(boot, p);
    return 0;
  } catch (err) {
    process.stderr.write(`colony-backend: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    for (const d of mounted.reverse()) { try { execFileSync('umount', [d]); } catch { /* left mounted under /run: harmless */ } }
  }
}

function bootedOrCommitted(st: BootState): SlotName {
  return st.booted || (/os_prefix=slot-b\//i.test(st.config) ? 'B' : 'A');
}

process.exitCode = main(process.argv.slice(2));

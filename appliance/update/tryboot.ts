// The Raspberry Pi's A/B boot through the firmware's one-shot `tryboot` flag, as RAUC's
// custom bootloader backend sees it (image/update/backend-pi runs tryboot-main.ts).
//
// The FAT boot partition holds the shared firmware (start*.elf, fixup*.dat, bootcode.bin)
// and one directory per slot, slot-a/ and slot-b/, each with that slot's kernel, initramfs,
// device trees and cmdline.txt (root= its own root partition). config.txt's `os_prefix`
// names the committed slot; tryboot.txt, read instead of config.txt only on a boot whose
// tryboot flag was set (`reboot '0 tryboot'`), names the trial slot. The firmware clears the
// flag before it starts, so any reset after a trial boot (a hang, the watchdog, a power cut)
// boots the committed slot again. A healthy trial commits by rewriting config.txt's
// os_prefix. This file decides what to write (pure, tested as data); tryboot-main.ts does it.
import { ColonyError } from '../errors.js';

export type SlotName = 'A' | 'B';

export interface BootState {
  config: string; // config.txt
  tryboot: string | null; // tryboot.txt, null when absent
  flag: boolean; // this boot was a tryboot (/proc/device-tree/chosen/bootloader/tryboot = 1)
  booted: SlotName | ''; // from rauc.slot= on the kernel command line
}

/** What to do to the boot partition, in order: write, then remove; and what to print. */
export interface Plan {
  out: string; // the answer RAUC reads on stdout
  copySlot?: SlotName; // copy this slot's kernel, initramfs and device trees from its root first
  write: Array<{ file: string; text: string }>; // paths relative to the boot partition
  remove: string[];
  rebootParam?: string; // systemd's /run/systemd/reboot-param: the next reboot sets the flag
  note?: string; // a line for the journal
}

export const slotDir = (slot: SlotName) => `slot-${slot.toLowerCase()}/`;
const other = (slot: SlotName): SlotName => (slot === 'A' ? 'B' : 'A');

/** The slot a config.txt or tryboot.txt boots: its last `os_prefix=slot-x/` (pure). */
export function slotOf(text: string): SlotName | undefined {
  const all = [...text.matchAll(/^[ \t]*os_prefix[ \t]*=[ \t]*slot-([ab])\/[ \t]*$/gim)];
  const last = all.at(-1)?.[1];
  return last ? (last.toUpperCase() as SlotName) : undefined;
}

/** The same file booting `slot`: every os_prefix line dropped, one added at the end (pure). */
export function withPrefix(text: string, slot: SlotName): string {
  const kept = text.split('\n').filter((l) => !/^[ \t]*os_prefix[ \t]*=/i.test(l));
  while (kept.length && kept.at(-1) === '') kept.pop();
  return `${kept.join('\n')}\nos_prefix=${slotDir(slot)}\n`;
}

/** A slot's kernel command line from the committed slot's: its own root and rauc.slot (pure). */
export function cmdlineFor(committedCmdline: string, slot: SlotName, rootPartuuid: string): string {
  let line = committedCmdline.trim().replace(/\s*\brauc\.slot=\S*/g, '');
  line = /\broot=\S+/.test(line) ? line.replace(/\broot=\S+/, `root=PARTUUID=${rootPartuuid}`) : `${line} root=PARTUUID=${rootPartuuid}`;
  return `${line.trim()} rauc.slot=${slot}\n`;
}

export function committedSlot(st: BootState): SlotName {
  const s = slotOf(st.config);
  if (!s) throw new ColonyError('COLONY_INVALID', 'config.txt names no slot (os_prefix=slot-a/ or slot-b/): not a Colony A/B boot partition');
  return s;
}

/** The slot tryboot.txt would try, when it is not the committed one. */
export function pendingSlot(st: BootState): SlotName | undefined {
  if (st.tryboot === null) return undefined;
  const s = slotOf(st.tryboot);
  return s && s !== committedSlot(st) ? s : undefined;
}

const plan = (out = '', more: Partial<Plan> = {}): Plan => ({ out, write: [], remove: [], ...more });

/** get-primary: the slot the next reboot through `colony update --reboot` starts (pure). */
export function planGetPrimary(st: BootState): Plan {
  return plan(pendingSlot(st) ?? committedSlot(st));
}

/** get-state: good for the committed slot and a pending trial, bad otherwise (pure). */
export function planGetState(st: BootState, slot: SlotName): Plan {
  return plan(slot === committedSlot(st) || slot === pendingSlot(st) ? 'good' : 'bad');
}

/**
 * set-primary SLOT, after RAUC wrote SLOT's root: its boot files into slot-x/, its
 * cmdline.txt, then tryboot.txt (last, so a half-made slot is never tried), and the reboot
 * parameter. The committed slot as primary cancels a pending trial (pure).
 */
export function planSetPrimary(st: BootState, slot: SlotName, committedCmdline: string, rootPartuuid: string): Plan {
  const committed = committedSlot(st);
  if (slot === committed) return plan('', { remove: st.tryboot === null ? [] : ['tryboot.txt'] });
  return plan('', {
    copySlot: slot,
    write: [
      { file: `${slotDir(slot)}cmdline.txt`, text: cmdlineFor(committedCmdline, slot, rootPartuuid) },
      { file: 'tryboot.txt', text: withPrefix(st.config, slot) },
    ],
    rebootParam: '0 tryboot',
    note: `slot ${slot} is the trial: the next reboot tries it once; slot ${committed} stays committed`,
  });
}

/**
 * set-state SLOT good|bad. `good` on a trial boot of SLOT commits it (config.txt's
 * os_prefix); `good` for the committed slot on a plain boot drops a trial that is still
 * pending, because a plain boot with one pending means the trial did not commit. `bad`
 * drops SLOT's pending trial (RAUC marks a slot bad before it writes it) (pure).
 */
export function planSetState(st: BootState, slot: SlotName, good: boolean): Plan {
  const committed = committedSlot(st);
  const pending = pendingSlot(st);
  if (!good) {
    if (slot === committed) throw new ColonyError('COLONY_INVALID', `slot ${slot} is the committed slot (config.txt): it cannot be marked bad`);
    return plan('', { remove: st.tryboot === null ? [] : ['tryboot.txt'] });
  }
  if (slot === pending && st.flag && st.booted === slot) {
    return plan('', { write: [{ file: 'config.txt', text: withPrefix(st.config, slot) }], remove: ['tryboot.txt'], note: `slot ${slot} committed (config.txt os_prefix=${slotDir(slot)})` });
  }
  if (slot === committed) {
    if (pending && !st.flag && st.booted === committed) {
      return plan('', { remove: ['tryboot.txt'], note: `the trial of slot ${pending} did not commit; slot ${committed} stays` });
    }
    return plan('', { remove: st.tryboot !== null && !pending ? ['tryboot.txt'] : [] });
  }
  // Good already: a pending trial is good until its boot says otherwise.
  if (slot === pending) return plan();
  throw new ColonyError('COLONY_INVALID', `slot ${slot} is neither committed nor on a trial boot: it cannot be marked good`);
}

/**
 * get-current: the booted slot, from rauc.slot= on the kernel command line, else from its
 * root=PARTUUID= (QEMU's virt machine boots the image's kernel with its own line) (pure).
 */
export function bootedFrom(cmdline: string, roots?: Record<SlotName, string>): SlotName | '' {
  const m = /\brauc\.slot=([AB])\b/.exec(cmdline);
  if (m) return m[1] as SlotName;
  const root = /\broot=PARTUUID=(\S+)/i.exec(cmdline)?.[1]?.toLowerCase();
  if (roots && root) for (const s of ['A', 'B'] as const) if (roots[s].toLowerCase() === root) return s;
  return '';
}

/** /proc/device-tree/chosen/bootloader/tryboot: one big-endian 32-bit cell (pure). */
export function flagFrom(cell: Buffer | null): boolean {
  return cell !== null && cell.length >= 4 && cell.readUInt32BE(0) === 1;
}

/**
 * Why this machine cannot run a tryboot update, or undefined when it can (pure). The
 * firmware publishes the tryboot property on boards whose firmware knows the flag; the
 * kernel sets the flag on `reboot '0 tryboot'` only with the Raspberry Pi kernel's
 * firmware-driver change (rpi_firmware_notify_reboot), which mainline and Debian 12's
 * kernel do not have.
 */
export function tryBootUnsupported(flagCellPresent: boolean, kallsyms: string): string | undefined {
  if (!flagCellPresent) return 'this board\'s firmware reports no tryboot support (/proc/device-tree/chosen/bootloader/tryboot is missing): update by flashing a new card';
  if (!/\brpi_firmware_notify_reboot\b/.test(kallsyms)) {
    return 'this kernel cannot set the Raspberry Pi firmware\'s tryboot flag (no rpi_firmware_notify_reboot: Debian 12\'s kernel lacks it), so an update could never be tried safely: update by flashing a new card';
  }
  return undefined;
}

export { other as otherSlot };

// The hw system test's guest: the supervisor on real hardware paths inside the QEMU guest,
// real LED-class devices (the SD host controller's `mmc0::`, the i8042 keyboard's
// `input0::capslock`) and a real UART (guest /dev/ttyS1) whose host end is a pty that
// picocom drives from here, through tmux. The guest half is scripts/vm/guest/hw-lib.sh; its
// TAP lines and this side's serial checks become one assertion each.
//
// Coordination: the host's session starts as soon as QEMU names the pty (picocom attached
// before the supervisor opens the port sees everything it writes, the first-boot notice too;
// QEMU drops a pty's output while no one holds it) and runs beside the guest's LED checks; when
// it ends this side writes `done` into a host directory the guest lists through the read-only
// host root. Every wait is bounded.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LedPattern } from '../../hw/leds/index.js';
import { kernelPatternText } from '../../hw/leds/sysfs.js';
import { TmuxTerminal } from './tmux.js';
import { guestPath, guestScripts, parseTap, runGuest, vmAvailable, VmError, type GuestResult, type TapLine } from './vm.js';

export interface HwGuestOptions {
  /** bash run with cpu-lib.sh and hw-lib.sh sourced; prints TAP lines. */
  script: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /**
   * The host's session on the serial line (QEMU's pty), started as soon as QEMU names the pty;
   * bound its waits. `stop` aborts when the guest has ended (nothing more will come).
   */
  serial: (pty: string, stop: AbortSignal) => Promise<void>;
}

export interface HwGuestResult extends GuestResult {
  checks: TapLine[];
  /** The KEY=VALUE lines the guest printed (timings). */
  said: Record<string, string>;
  /** Why the host's serial session threw, or why it never ran. */
  serialError?: string;
}

export async function runHwGuest(o: HwGuestOptions): Promise<HwGuestResult> {
  const vm = await vmAvailable();
  if (!vm.ok) throw new VmError('VM_UNAVAILABLE', vm.reason);
  const signal = await mkdtemp(join(tmpdir(), 'colony-hw-'));
  let session: Promise<void> | undefined;
  const guestEnded = new AbortController();
  let serialError: string | undefined = 'QEMU never named the pty of the second UART';
  const runSession = async (pty: string) => {
    serialError = undefined;
    try {
      await o.serial(pty, guestEnded.signal);
    } catch (err) {
      serialError = err instanceof Error ? err.message : String(err);
    } finally {
      await writeFile(join(signal, 'done'), '');
    }
  };
  try {
    const r = await runGuest({
      script: [
        `source ${guestScripts}/guest/cpu-lib.sh`,
        `source ${guestScripts}/guest/hw-lib.sh`,
        '(', o.script, ')',
        'rc=$?',
        'echo "--- supervisor warnings"; serve_problems 30',
        'cpu_down',
        'exit $rc',
      ].join('\n'),
      reroot: true,
      memoryMb: 2048,
      cpus: 2,
      timeoutMs: o.timeoutMs ?? 900_000,
      sdCard: true,
      serialPty: (pty) => { session ??= runSession(pty); },
      env: {
        // The kernel's module tree that build.sh unpacked (modules.dep made by depmod there).
        HW_MODULES: guestPath(join(dirname(vm.vmlinux), 'root')),
        HW_SIGNAL: guestPath(signal),
        ...o.env,
      },
    });
    guestEnded.abort();
    await session;
    const said = Object.fromEntries([...r.output.matchAll(/^(\w+)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]));
    return { ...r, checks: parseTap(r.output).results, said, ...(serialError ? { serialError } : {}) };
  } finally {
    guestEnded.abort();
    await session?.catch(() => undefined);
    await rm(signal, { recursive: true, force: true });
  }
}

/**
 * What an LED shows in sysfs for a pattern, in hw-lib.sh's `led_view` words: the trigger and
 * the files that trigger adds. `max` is the LED's max_brightness.
 */
export function sysfsView(p: LedPattern, max: number): string {
  switch (p.kind) {
    case 'off': return 'trigger=none brightness=0';
    case 'on': return `trigger=none brightness=${max}`;
    case 'heartbeat': return 'trigger=heartbeat';
    case 'blink': return `trigger=timer delay_on=${p.onMs} delay_off=${p.offMs}`;
    case 'pattern': return `trigger=pattern repeat=${p.repeat} pattern=${kernelPatternText(p.steps, max)}`;
  }
}

/** picocom on a serial line's host end, in a tmux pane on a tmux server of its own; waitFor gives up once `stop` aborts. */
export class Picocom extends TmuxTerminal {
  constructor(readonly path: string, stop?: AbortSignal) {
    // --noreset: leave the line as the guest set it; the trailing sleep keeps the pane readable if picocom ends.
    super({
      command: `picocom -b 115200 --noreset ${path}; echo "picocom exited $?"; sleep 120`, session: 'tty', socketPrefix: 'colony-hw',
      history: 300, label: 'picocom', waitMs: 60_000, pollMs: 200, errorLines: 20, stop, stopMeans: 'the guest ended',
    });
  }

  /** C-a C-x ends picocom; then the tmux server goes. */
  override close(): void {
    if (this.running) try { this.keys('C-a', 'C-x'); } catch { /* gone */ }
    super.close();
  }
}

// A bare GPIO line as the status LED, for a board whose LED has no LED-class device.
//
// Why a helper process: libgpiod 1.6's `gpioset` (Debian 12) can only hold one value per
// process, so blinking with it costs a fork and exec per toggle. Instead one long-lived
// `python3` runs a 40-line loop over libgpiod's own Python binding (`python3-libgpiod`, the
// same C library): it requests the line once, and sleeps in select() between level changes,
// so a blink costs two syscalls per toggle and no Node timer. Node sends it one line per new
// plan. Better still is `dtoverlay=gpio-led,gpio=N,label=status`: the line becomes an
// LED-class device and the kernel blinks it (see README.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { ColonyError, unsupported } from '../../appliance/errors.js';
import type { Log } from '../../appliance/log.js';
import type { LedPattern } from './types.js';

/** A rough kernel heartbeat: two beats, then a pause. */
const HEARTBEAT: Array<[number, number]> = [[1, 70], [0, 250], [1, 70], [0, 1010]];

/**
 * The helper's command for a pattern: `hold LEVEL` or `steps L MS L MS … repeat N`.
 * Levels are 0/1: a bare line has no brightness. A finite pattern holds its last level.
 */
export function gpioCommand(p: LedPattern): string {
  const steps = (s: Array<[number, number]>, repeat: number) => `steps ${s.map(([b, ms]) => `${b > 0 ? 1 : 0} ${ms}`).join(' ')} repeat ${repeat}`;
  switch (p.kind) {
    case 'off': return 'hold 0';
    case 'on': return 'hold 1';
    case 'blink': return steps([[1, p.onMs], [0, p.offMs]], -1);
    case 'heartbeat': return steps(HEARTBEAT, -1);
    case 'pattern': return steps(p.steps, p.repeat);
  }
}

/** The helper: argv chip line; prints `ok` once the line is ours, or `err TEXT`; reads commands from stdin; EOF releases the line. */
export const GPIO_HELPER = String.raw`
import os, select, sys, time
try:
    import gpiod
except ImportError as e:
    print("err nogpiod " + str(e), flush=True); sys.exit(3)
try:
    chip = gpiod.Chip(sys.argv[1])
    line = chip.get_line(int(sys.argv[2]))
    line.request(consumer="colony-leds", type=gpiod.LINE_REQ_DIR_OUT, default_val=0)
except Exception as e:
    print("err line " + str(e), flush=True); sys.exit(4)
print("ok", flush=True)
steps, repeat, i, level, due = [], 0, 0, 0, None
buf = b""
while True:
    wait = None if due is None else max(0.0, due - time.monotonic())
    r, _, _ = select.select([0], [], [], wait)
    if r:
        chunk = os.read(0, 4096)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            cmd, buf = buf.split(b"\n", 1)
            w = cmd.decode().split()
            if w[:1] == ["hold"]:
                steps, due = [], None
                level = int(w[1]); line.set_value(level)
            elif w[:1] == ["steps"]:
                n = w.index("repeat")
                nums = [int(x) for x in w[1:n]]
                steps = list(zip(nums[0::2], nums[1::2]))
                repeat, i, due = int(w[n + 1]), 0, time.monotonic()
        continue
    if due is not None and time.monotonic() >= due:
        if i == len(steps):
            i = 0
            if repeat > 0:
                repeat -= 1
                if repeat == 0:
                    due = None
                    continue
        level, ms = steps[i]
        line.set_value(level)
        i += 1
        due += ms / 1000.0
line.set_value(0)
line.release()
`;

export class GpiodLed {
  private current = '';
  private constructor(readonly device: string, private readonly child: ChildProcess, private readonly log: Log) {}

  /** Starts the helper and waits (at most 5 s) for it to hold the line. */
  static async open(chip: string, line: number, log: Log, python = '/usr/bin/python3'): Promise<GpiodLed> {
    const device = `${chip}:${line}`;
    const child = spawn(python, ['-u', '-c', GPIO_HELPER, chip, String(line)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const first = await new Promise<string>((resolve) => {
      let out = '';
      const timer = setTimeout(() => resolve('err timeout: no answer in 5 s'), 5000);
      const done = (s: string) => { clearTimeout(timer); resolve(s); };
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) done(out.split('\n')[0]!); });
      child.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ENOENT' ? `err nopython ${python} not found` : `err spawn ${err.message}`));
      child.on('exit', (code) => done(`err exit ${code}: ${stderr.trim()}`));
    });
    if (first === 'ok') {
      child.stdin!.on('error', () => {}); // a helper that died is reported on exit, not as an unhandled EPIPE
      child.on('exit', (code, signal) => { if (code !== 0) log.warn({ led: device, code, signal, stderr: stderr.trim() }, 'the GPIO LED helper exited'); });
      return new GpiodLed(device, child, log);
    }
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    if (first.startsWith('err nogpiod') || first.startsWith('err nopython')) {
      throw unsupported(`a bare GPIO status LED needs libgpiod's Python binding: apt-get install python3-libgpiod (${first.slice(4)})`);
    }
    throw new ColonyError('COLONY_IO', `GPIO line ${device} for the status LED: ${first.replace(/^err (line )?/, '')}`);
  }

  async apply(p: LedPattern): Promise<void> {
    const cmd = gpioCommand(p);
    if (cmd === this.current) return;
    if (this.child.exitCode !== null || this.child.signalCode !== null) throw new ColonyError('COLONY_IO', `the GPIO LED helper for ${this.device} has exited`);
    this.child.stdin!.write(`${cmd}\n`);
    this.current = cmd;
  }

  /** Ends the helper (it turns the line off and releases it); kills it if it has not gone in 2 s. */
  async restore(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); }, 2000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.stdin!.end();
    });
  }
}

// One LED-class device driven through its kernel triggers, so blinking costs no CPU:
// off/on → `none` + brightness; blink → `timer` + delay_on/delay_off; heartbeat →
// `heartbeat`; pattern → `pattern` + pattern + repeat. A trigger that is not registered is
// loaded once with `modprobe ledtrig-NAME`; if that fails the pattern degrades (below) and
// the degradation is logged once per trigger.
import { fromSystemError } from '../../appliance/errors.js';
import type { Log } from '../../appliance/log.js';
import { parseTriggers, type LedFiles } from './files.js';
import { formatPattern, samePattern } from './pattern.js';
import type { LedPattern } from './types.js';

/** What was there at open, put back by restore(). */
interface Found { trigger: string; brightness: string; extra: Array<[attr: string, value: string]> }

/** The kernel `pattern` tuples for our held steps: "B MS B 0" makes each step a jump, not a ramp (ledtrig-pattern ramps between unequal neighbours). */
export function kernelPatternText(steps: Array<[number, number]>, max: number): string {
  return steps.map(([b, ms]) => { const v = scale(b, max); return `${v} ${ms} ${v} 0`; }).join(' ');
}

/** 0–255 onto 0–max; a lit step stays lit on an on/off LED (max 1). */
export function scale(b: number, max: number): number {
  if (b <= 0) return 0;
  return Math.max(1, Math.min(max, Math.round((b * max) / 255)));
}

/** What a pattern becomes when its trigger cannot be had: the nearest thing the LED still can do. */
export function degrade(p: LedPattern, has: (trigger: string) => boolean): LedPattern {
  switch (p.kind) {
    case 'heartbeat': return has('timer') ? { kind: 'blink', onMs: 100, offMs: 900 } : { kind: 'on' };
    case 'pattern': {
      if (!has('timer')) return { kind: 'on' };
      // The lit time and the dark time of one cycle, as one blink.
      const on = p.steps.filter(([b]) => b > 0).reduce((s, [, ms]) => s + ms, 0);
      const off = p.steps.filter(([b]) => b === 0).reduce((s, [, ms]) => s + ms, 0);
      return on === 0 ? { kind: 'off' } : off === 0 ? { kind: 'on' } : { kind: 'blink', onMs: on, offMs: off };
    }
    case 'blink': return { kind: 'on' };
    default: return p;
  }
}

const TRIGGER_OF: Record<LedPattern['kind'], string> = { off: 'none', on: 'none', blink: 'timer', heartbeat: 'heartbeat', pattern: 'pattern' };

export class SysfsLed {
  private current: LedPattern | undefined;
  private readonly tried = new Set<string>();
  private readonly warned = new Set<string>();

  private constructor(
    readonly device: string,
    private readonly files: LedFiles,
    private readonly log: Log,
    private readonly max: number,
    private readonly found: Found,
  ) {}

  /** Reads what the LED does now, to put it back at close. */
  static async open(files: LedFiles, device: string, log: Log): Promise<SysfsLed> {
    try {
      const max = Number((await files.read(device, 'max_brightness')).trim()) || 1;
      const { active } = parseTriggers(await files.read(device, 'trigger'));
      const brightness = (await files.read(device, 'brightness')).trim();
      const keep: Record<string, string[]> = { timer: ['delay_on', 'delay_off'], pattern: ['pattern', 'repeat'] };
      const extra: Array<[string, string]> = [];
      for (const attr of keep[active] ?? []) extra.push([attr, (await files.read(device, attr)).trim()]);
      return new SysfsLed(device, files, log, max, { trigger: active, brightness, extra });
    } catch (err) {
      throw fromSystemError(err, `reading LED ${device}`);
    }
  }

  /** Writes `p` unless it is what the LED already shows (a rewrite would restart a blink). */
  async apply(want: LedPattern): Promise<void> {
    if (samePattern(this.current, want)) return;
    const p = await this.reachable(want);
    try {
      await this.write(p);
      this.current = want;
    } catch (err) {
      // Unknown state: the next apply writes everything again.
      this.current = undefined;
      throw fromSystemError(err, `setting LED ${this.device} to '${formatPattern(p)}'`);
    }
  }

  private async write(p: LedPattern): Promise<void> {
    const trigger = TRIGGER_OF[p.kind];
    const { active } = parseTriggers(await this.files.read(this.device, 'trigger'));
    // Keep a running trigger when only its parameters change; writing `none` when already none is harmless.
    if (active !== trigger || trigger === 'none') await this.files.write(this.device, 'trigger', trigger);
    switch (p.kind) {
      case 'off': return this.files.write(this.device, 'brightness', '0');
      case 'on': return this.files.write(this.device, 'brightness', String(this.max));
      case 'heartbeat': return;
      case 'blink':
        await this.files.write(this.device, 'delay_on', String(p.onMs));
        return this.files.write(this.device, 'delay_off', String(p.offMs));
      case 'pattern':
        await this.files.write(this.device, 'pattern', kernelPatternText(p.steps, this.max));
        return this.files.write(this.device, 'repeat', String(p.repeat));
    }
  }

  /** `want`, or what it degrades to when its trigger is missing and modprobe cannot load it. */
  private async reachable(want: LedPattern): Promise<LedPattern> {
    const trigger = TRIGGER_OF[want.kind];
    if (trigger === 'none') return want;
    const available = new Set(parseTriggers(await this.files.read(this.device, 'trigger')).available);
    const has = (t: string) => available.has(t);
    for (const t of [trigger, 'timer']) {
      if (has(t) || this.tried.has(t)) continue;
      this.tried.add(t);
      if (await this.files.modprobe(t)) {
        for (const a of parseTriggers(await this.files.read(this.device, 'trigger')).available) available.add(a);
        this.log.info({ led: this.device, trigger: t }, 'loaded LED trigger module');
      }
      if (has(trigger)) break;
    }
    if (has(trigger)) return want;
    const instead = degrade(want, has);
    if (!this.warned.has(trigger)) {
      this.warned.add(trigger);
      this.log.warn({ led: this.device, trigger, want: formatPattern(want), instead: formatPattern(instead) },
        `the kernel has no '${trigger}' LED trigger (modprobe ledtrig-${trigger} failed; modprobe is in Debian's kmod package); showing a simpler pattern`);
    }
    return instead.kind === want.kind ? { kind: 'on' } : this.reachable(instead);
  }

  /** Puts back the trigger and brightness (and timer/pattern settings) found at open. */
  async restore(): Promise<void> {
    const { trigger, brightness, extra } = this.found;
    try {
      await this.files.write(this.device, 'trigger', trigger);
      if (trigger === 'none') await this.files.write(this.device, 'brightness', brightness);
      for (const [attr, value] of extra) if (value !== '') await this.files.write(this.device, attr, value);
    } catch (err) {
      throw fromSystemError(err, `restoring LED ${this.device} to trigger '${trigger}'`);
    } finally {
      this.current = undefined;
    }
  }
}

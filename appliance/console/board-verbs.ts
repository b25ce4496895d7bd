// What the board says about itself, for people: `identify [SECONDS]` blinks the LEDs so a
// person can find this appliance on a shelf, and `node` adds the board's lines (temperature,
// memory, load, disk, addresses, LEDs, serial). The supervisor reaches hw/ and hands the
// answers here through NodeInfo; the console never imports hw/.
import { unsupported, usage } from '../errors.js';
import type { BoardInfo, ConsoleContext } from './context.js';
import { bytes } from './format.js';
import type { ConsoleReply } from './reply.js';

export const IDENTIFY_SYNTAX = 'identify [SECONDS]';
export const IDENTIFY_TEXT = 'blink the LEDs distinctively for SECONDS (default 15, at most 3600) so you can find this appliance; identify 0 stops';
export const IDENTIFY_DEFAULT_SECONDS = 15;
export const IDENTIFY_MAX_SECONDS = 3600;

export function identify(ctx: ConsoleContext, args: string[]): ConsoleReply {
  if (args.length > 1 || (args[0] !== undefined && !/^\d{1,4}$/.test(args[0]))) throw usage(`usage: ${IDENTIFY_SYNTAX}`);
  const seconds = args[0] === undefined ? IDENTIFY_DEFAULT_SECONDS : Number(args[0]);
  if (seconds > IDENTIFY_MAX_SECONDS) throw usage(`usage: ${IDENTIFY_SYNTAX} (SECONDS at most ${IDENTIFY_MAX_SECONDS})`);
  const run = ctx.node?.identify;
  if (!run) throw unsupported('identify is not available from here (it needs the running supervisor)');
  const r = run(seconds, ctx.user);
  if (seconds === 0) return { output: 'identify stopped', json: { seconds: 0, leds: r.leds } };
  return { output: `identifying for ${seconds} s on ${r.leds}`, json: { seconds, until: new Date(r.until).toISOString(), leds: r.leds } };
}

const celsius = (c: number) => `${c.toFixed(1)} °C`;

/** The board's lines of `node`, and their JSON. */
export function boardLines(b: BoardInfo): { lines: string[]; json: Record<string, unknown> } {
  const lines: string[] = [];
  const s = b.sample;
  if (b.model) lines.push(`board ${b.model}`);
  if (s) {
    lines.push(`temperature ${s.temperatureC === null ? 'unknown (no thermal zone)' : celsius(s.temperatureC)}`);
    lines.push(`memory ${bytes(s.memory.availableBytes)} available of ${bytes(s.memory.totalBytes)}`);
    lines.push(`load ${s.load.map((l) => l.toFixed(2)).join(' ')}`);
    if (s.disk) lines.push(`disk ${bytes(s.disk.availableBytes)} available of ${bytes(s.disk.totalBytes)} (${s.disk.path})`);
  }
  if (b.addresses.length) lines.push(`addresses ${b.addresses.join(' ')}`);
  if (b.degraded.length) lines.push(`degraded ${b.degraded.join('; ')}`);
  lines.push(`leds ${b.leds.condition} (${b.leds.backend}${b.leds.devices ? `: ${b.leds.devices}` : ''})`);
  if (b.serial) lines.push(`serial ${b.serial.path} ${b.serial.state}`);
  return { lines, json: { ...b } };
}

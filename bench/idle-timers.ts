// Preloaded (`--import`) into a supervisor by bench/idle's diagnosis run: counts how often each
// timer fires, keyed by the file:line that armed it, so an idle wakeup can be named. SIGUSR2
// starts a window (counts reset); the next SIGUSR2 writes the window's counts, with
// process.memoryUsage() and V8's heap spaces, as JSON to $COLONY_IDLE_TIMERS and starts a new window. Only the diagnosis run carries it (it takes a
// stack trace per timer armed), never the measured ones.
import { writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import { getHeapSpaceStatistics } from 'node:v8';

interface Site { site: string; delayMs: number; armed: number; fired: number }
const sites = new Map<string, Site>();
let since = Date.now();
const here = import.meta.url.replace(/^file:\/\//, '');

/** The first frame of the stack outside node's internals, this file and timer wrappers in libraries' shims. */
function callSite(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  for (const l of lines) {
    if (l.includes(here) || l.includes('node:internal') || l.includes('(node:timers')) continue;
    const m = /\(?((?:file:\/\/)?\/[^()]+:\d+):\d+\)?$/.exec(l.trim());
    if (m) return m[1]!.replace(/^file:\/\//, '').replace(process.cwd() + '/', '');
  }
  return 'unknown';
}

type Arm = (fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => unknown;
function wrap(kind: 'interval' | 'timeout', orig: Arm): Arm {
  return function (this: unknown, fn, ms, ...rest) {
    if (typeof fn !== 'function') return orig.call(this, fn, ms, ...rest);
    const key = `${kind} ${callSite()} ${ms ?? 0}`;
    let s = sites.get(key);
    if (!s) { s = { site: key, delayMs: Number(ms ?? 0), armed: 0, fired: 0 }; sites.set(key, s); }
    s.armed++;
    const counted = s;
    return orig.call(this, function (this: unknown, ...a: unknown[]) {
      counted.fired++;
      return fn.apply(this, a);
    }, ms, ...rest);
  } as Arm;
}

const setI = wrap('interval', timers.setInterval as unknown as Arm);
const setT = wrap('timeout', timers.setTimeout as unknown as Arm);
(globalThis as Record<string, unknown>).setInterval = setI;
(globalThis as Record<string, unknown>).setTimeout = setT;
(timers as Record<string, unknown>).setInterval = setI;
(timers as Record<string, unknown>).setTimeout = setT;
syncBuiltinESMExports();

process.on('SIGUSR2', () => {
  const out = process.env.COLONY_IDLE_TIMERS;
  if (out && sites.size) {
    const seconds = (Date.now() - since) / 1000;
    const rows = [...sites.values()].filter((s) => s.fired || s.armed).map((s) => ({ ...s, seconds }));
    // Where the anonymous memory is: V8's heap spaces, and buffers outside the heap.
    const spaces = getHeapSpaceStatistics().map((h) => ({ space: h.space_name, used: h.space_used_size, committed: h.physical_space_size }));
    writeFileSync(out, JSON.stringify({ rows, memory: process.memoryUsage(), spaces }));
  }
  // Zero the counts in place: a timer armed before the window keeps its entry.
  for (const s of sites.values()) { s.armed = 0; s.fired = 0; }
  since = Date.now();
});

// The text form of an LED pattern, as written in the config file and shown to operators:
//   on | off | heartbeat | blink ON_MS OFF_MS | pattern B MS [B MS …] [repeat N]
import { invalid } from '../../appliance/errors.js';
import type { LedPattern } from './types.js';

/** Bounds: one step of an hour is plenty for a status light; 64 steps stay far below the kernel's 1024 tuples. */
export const MAX_MS = 3_600_000;
export const MAX_STEPS = 64;

const GRAMMAR = "'on', 'off', 'heartbeat', 'blink ON_MS OFF_MS' or 'pattern B MS [B MS …] [repeat N]'";

function whole(word: string | undefined, min: number, max: number, what: string, text: string): number {
  if (word === undefined || !/^-?\d+$/.test(word)) throw invalid(`LED pattern '${text}': ${what} must be a whole number, got ${word === undefined ? 'nothing' : `'${word}'`}`);
  const n = Number(word);
  if (n < min || n > max) throw invalid(`LED pattern '${text}': ${what} must be from ${min} to ${max}, got ${n}`);
  return n;
}

export function parsePattern(text: string): LedPattern {
  if (typeof text !== 'string') throw invalid(`LED pattern: expected text (${GRAMMAR}), got ${JSON.stringify(text)}`);
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [head, ...rest] = words;
  switch (head) {
    case 'on': case 'off': case 'heartbeat':
      if (rest.length) throw invalid(`LED pattern '${text}': '${head}' takes no arguments`);
      return { kind: head };
    case 'blink': {
      if (rest.length !== 2) throw invalid(`LED pattern '${text}': expected 'blink ON_MS OFF_MS'`);
      return { kind: 'blink', onMs: whole(rest[0], 1, MAX_MS, 'ON_MS', text), offMs: whole(rest[1], 1, MAX_MS, 'OFF_MS', text) };
    }
    case 'pattern': {
      let repeat = -1;
      let body = rest;
      const r = rest.indexOf('repeat');
      if (r >= 0) {
        if (r !== rest.length - 2) throw invalid(`LED pattern '${text}': 'repeat N' must come last`);
        repeat = whole(rest[r + 1], -1, 1_000_000, 'repeat N', text);
        if (repeat === 0) throw invalid(`LED pattern '${text}': repeat N must be -1 (forever) or at least 1, got 0`);
        body = rest.slice(0, r);
      }
      if (body.length === 0 || body.length % 2 !== 0) throw invalid(`LED pattern '${text}': expected pairs of brightness (0-255) and milliseconds`);
      if (body.length / 2 > MAX_STEPS) throw invalid(`LED pattern '${text}': at most ${MAX_STEPS} steps`);
      const steps: Array<[number, number]> = [];
      for (let i = 0; i < body.length; i += 2) {
        steps.push([whole(body[i], 0, 255, 'brightness', text), whole(body[i + 1], 1, MAX_MS, 'milliseconds', text)]);
      }
      return { kind: 'pattern', steps, repeat };
    }
    default:
      throw invalid(`LED pattern '${text}': expected ${GRAMMAR}`);
  }
}

export function formatPattern(p: LedPattern): string {
  switch (p.kind) {
    case 'off': case 'on': case 'heartbeat': return p.kind;
    case 'blink': return `blink ${p.onMs} ${p.offMs}`;
    case 'pattern': return `pattern ${p.steps.map(([b, ms]) => `${b} ${ms}`).join(' ')}${p.repeat === -1 ? '' : ` repeat ${p.repeat}`}`;
  }
}

export function samePattern(a: LedPattern | undefined, b: LedPattern | undefined): boolean {
  return a !== undefined && b !== undefined && formatPattern(a) === formatPattern(b);
}

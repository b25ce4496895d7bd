// The `leds` config section: defaults that suit a Raspberry Pi, and a checker whose every
// complaint names the key, in the words of appliance/supervisor/config.ts.
import { invalid } from '../../appliance/errors.js';
import { parsePattern } from './pattern.js';
import { LED_CONDITIONS, LED_ROLES, type LedConfig, type LedCondition, type LedRole } from './types.js';

export function defaultLedConfig(): LedConfig {
  return { enabled: true, status: ['ACT', 'led0'], power: ['PWR', 'led1'], gpio: null, patterns: {} };
}

const fail = (key: string, want: string, got: unknown) => invalid(`config key '${key}': expected ${want}, got ${JSON.stringify(got)}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// An LED-class name is one sysfs directory entry (e.g. 'mmc0::', 'input0::capslock', 'ACT').
const LED_NAME = /^[^/\0\s]{1,64}$/;

function names(v: unknown, key: string): string[] {
  if (!Array.isArray(v)) throw fail(key, 'a list of LED names', v);
  return v.map((x, i) => {
    if (typeof x !== 'string' || !LED_NAME.test(x) || x === '.' || x === '..') throw fail(`${key}[${i}]`, 'an LED-class name (a /sys/class/leds entry)', x);
    return x;
  });
}

function gpio(v: unknown, key: string): LedConfig['gpio'] {
  if (v === null) return null;
  if (!isObject(v) || Object.keys(v).some((k) => k !== 'chip' && k !== 'line')) throw fail(key, 'null or { "chip": "gpiochip0", "line": 17 }', v);
  if (typeof v.chip !== 'string' || !/^[\w.-]{1,64}$/.test(v.chip)) throw fail(`${key}.chip`, "a GPIO chip name such as 'gpiochip0'", v.chip);
  if (!Number.isInteger(v.line) || (v.line as number) < 0 || (v.line as number) > 65535) throw fail(`${key}.line`, 'a line offset from 0 to 65535', v.line);
  return { chip: v.chip, line: v.line as number };
}

function patterns(v: unknown, key: string): LedConfig['patterns'] {
  if (!isObject(v)) throw fail(key, `{ CONDITION: { ROLE: PATTERN } } with CONDITION one of ${LED_CONDITIONS.join(', ')}`, v);
  const out: LedConfig['patterns'] = {};
  for (const [cond, roles] of Object.entries(v)) {
    if (!LED_CONDITIONS.includes(cond as LedCondition)) throw invalid(`config key '${key}.${cond}' is not known (known: ${LED_CONDITIONS.join(', ')})`);
    if (!isObject(roles)) throw fail(`${key}.${cond}`, '{ "status"?: PATTERN, "power"?: PATTERN }', roles);
    const one: Partial<Record<LedRole, string>> = {};
    for (const [role, text] of Object.entries(roles)) {
      const k = `${key}.${cond}.${role}`;
      if (!LED_ROLES.includes(role as LedRole)) throw invalid(`config key '${k}' is not known (known: ${LED_ROLES.join(', ')})`);
      try { parsePattern(text as string); } catch (err) {
        throw fail(k, "an LED pattern ('on', 'off', 'heartbeat', 'blink ON_MS OFF_MS', 'pattern B MS … [repeat N]')", text);
      }
      one[role as LedRole] = text as string;
    }
    out[cond as LedCondition] = one;
  }
  return out;
}

const CHECKS: Record<keyof LedConfig, (v: unknown, key: string) => unknown> = {
  enabled: (v, key) => { if (typeof v !== 'boolean') throw fail(key, 'true or false', v); return v; },
  status: names,
  power: names,
  gpio,
  patterns,
};

/** Merges `v` (the parsed `leds` section) over the defaults. Every mistake names its key under `key`. */
export function checkLedConfig(v: unknown, key: string): LedConfig {
  const out = defaultLedConfig() as unknown as Record<string, unknown>;
  if (v === undefined) return out as unknown as LedConfig;
  if (!isObject(v)) throw fail(key, 'an object', v);
  for (const [k, value] of Object.entries(v)) {
    const check = CHECKS[k as keyof LedConfig];
    if (!check) throw invalid(`config key '${key}.${k}' is not known (known: ${Object.keys(CHECKS).join(', ')})`);
    out[k] = check(value, `${key}.${k}`);
  }
  return out as unknown as LedConfig;
}

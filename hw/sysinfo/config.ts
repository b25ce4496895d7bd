// The `sysinfo` config section: defaults and the check that names the key it refuses.
import { invalid } from '../../appliance/errors.js';
import type { SysinfoConfig } from './types.js';

const GiB = 1024 ** 3;

export function defaultSysinfoConfig(): SysinfoConfig {
  return { temperatureHighC: 80, pollSeconds: 10, diskReserveBytes: GiB };
}

type Check = (v: unknown, key: string) => number;
const fail = (key: string, want: string, got: unknown) => invalid(`config key '${key}': expected ${want}, got ${JSON.stringify(got)}`);
const int = (min: number, max: number): Check => (v, key) => {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw fail(key, `a whole number from ${min} to ${max}`, v);
  return v as number;
};
const celsius: Check = (v, key) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 20 || v > 150) throw fail(key, 'a temperature in °C from 20 to 150', v);
  return v;
};

const CHECKS: Record<keyof SysinfoConfig, Check> = {
  temperatureHighC: celsius,
  pollSeconds: int(1, 3600),
  diskReserveBytes: int(0, 2 ** 50),
};

/**
 * Checks a (partial) `sysinfo` section and merges it over the defaults. `key` is the
 * section's name in the config file, so every mistake names the full key.
 */
export function checkSysinfoConfig(v: unknown, key: string): SysinfoConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(key, 'an object', v);
  const out = defaultSysinfoConfig();
  for (const [k, value] of Object.entries(v)) {
    const check = CHECKS[k as keyof SysinfoConfig];
    if (!check) throw invalid(`config key '${key}.${k}' is not known (known: ${Object.keys(CHECKS).join(', ')})`);
    out[k as keyof SysinfoConfig] = check(value, `${key}.${k}`);
  }
  return out;
}

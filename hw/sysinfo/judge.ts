// Pure: the reasons a sample makes the node `degraded`, in words an operator reads on the
// console, the web page and health.json. The LED planner only needs whether the list is empty.
import type { SysinfoConfig, SysSample } from './types.js';

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;
const TiB = GiB * 1024;

/** `700 MiB`, `1 GiB`, `1.5 GiB`: binary units, at most one decimal, no trailing `.0`. */
export function formatBytes(n: number): string {
  const units: Array<[number, string]> = [[TiB, 'TiB'], [GiB, 'GiB'], [MiB, 'MiB'], [KiB, 'KiB']];
  for (const [size, unit] of units) {
    if (Math.abs(n) >= size) return `${Number((n / size).toFixed(1))} ${unit}`;
  }
  return `${n} B`;
}

export function judge(sample: SysSample, config: SysinfoConfig): string[] {
  const reasons: string[] = [];
  const t = sample.temperatureC;
  if (t !== null && t >= config.temperatureHighC) {
    reasons.push(`temperature ${Math.round(t)} °C (high at ${config.temperatureHighC})`);
  }
  // Available, not free: the root-reserved blocks are no room to count on.
  if (sample.disk && sample.disk.availableBytes < config.diskReserveBytes) {
    reasons.push(`disk: ${formatBytes(sample.disk.availableBytes)} free (reserve ${formatBytes(config.diskReserveBytes)})`);
  }
  if (sample.throttled === 'under-voltage') {
    reasons.push('power: under-voltage (the supply cannot keep up; the firmware slows the CPU)');
  }
  return reasons;
}

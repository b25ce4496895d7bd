export type { DiskSpace, Inventory, SysinfoConfig, SysSample, ThermalZone } from './types.js';
export { checkSysinfoConfig, defaultSysinfoConfig } from './config.js';
export { addresses, readSample } from './read.js';
export { formatBytes, judge } from './judge.js';
export { readBoard } from './inventory.js';
export { startSysinfo, type Sysinfo, type SysinfoOptions } from './sysinfo.js';
export { writeSimBoard, type SimBoard } from './sim.js';

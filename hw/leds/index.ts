// Status LEDs: a pure planner (supervisor state → a pattern per LED) and a driver over the
// Linux LED class, a bare GPIO line, or a simulated tree. See README.md.
export type { LedRole, LedPattern, LedCondition, LedState, LedConfig, LedDriver, LedPlan } from './types.js';
export { defaultLedConfig, checkLedConfig } from './config.js';
export { parsePattern, formatPattern } from './pattern.js';
export { conditionOf, planLeds, replanAt, DEFAULT_PATTERNS } from './plan.js';
export { openLeds, type OpenLedsOptions } from './driver.js';
export { makeFakeSysfs } from './sim.js';

// The pure planner: the supervisor's state → one condition → a pattern per LED. Tested as
// data (test/unit/hw/leds/plan.test.ts); the driver only carries plans out.
import { parsePattern } from './pattern.js';
import type { LedCondition, LedConfig, LedPattern, LedPlan, LedRole, LedState } from './types.js';

/**
 * Defaults for a Pi, whose ACT (green, status) and PWR (red, power) LEDs are both visible:
 * a steady light is "fine", a fast flicker is "working", anything on the red LED that is not
 * steady is worth a look. Identify double-flashes both LEDs so one board stands out in a rack.
 */
export const DEFAULT_PATTERNS: Record<LedCondition, Record<LedRole, string>> = {
  booting: { status: 'heartbeat', power: 'on' },
  ready: { status: 'on', power: 'on' },
  busy: { status: 'blink 50 150', power: 'on' },
  degraded: { status: 'on', power: 'blink 1000 1000' },
  error: { status: 'blink 100 100', power: 'blink 100 100' },
  identify: { status: 'pattern 255 150 0 150 255 150 0 1050', power: 'pattern 255 150 0 150 255 150 0 1050' },
  stopped: { status: 'off', power: 'on' },
};

/** Which single condition the state shows. Identify wins, then error, stopping, booting, degraded, busy. */
export function conditionOf(state: LedState, now: number): LedCondition {
  if (state.identifyUntil !== undefined && state.identifyUntil > now) return 'identify';
  switch (state.health) {
    case 'error': return 'error';
    case 'stopping': case 'stopped': return 'stopped';
    case 'booting': return 'booting';
    default: break;
  }
  if (state.health === 'degraded' || state.degraded.length > 0) return 'degraded';
  if (state.busy.length > 0) return 'busy';
  return 'ready';
}

function patternFor(config: LedConfig, condition: LedCondition, role: LedRole): LedPattern {
  // checkLedConfig has parsed every configured text once, so this cannot throw for a checked config.
  return parsePattern(config.patterns[condition]?.[role] ?? DEFAULT_PATTERNS[condition][role]);
}

/**
 * A pattern per LED. Each role takes its condition's pattern, with one blend: a node that is
 * degraded and busy keeps the busy activity on the status LED (the degraded sign is on power).
 */
export function planLeds(state: LedState, config: LedConfig, now: number): LedPlan {
  const condition = conditionOf(state, now);
  const statusFrom: LedCondition = condition === 'degraded' && state.busy.length > 0 ? 'busy' : condition;
  return {
    condition,
    leds: { status: patternFor(config, statusFrom, 'status'), power: patternFor(config, condition, 'power') },
  };
}

/** When the plan changes with no change of state (identify running out), or undefined: the supervisor re-plans then. */
export function replanAt(state: LedState, now: number): number | undefined {
  return state.identifyUntil !== undefined && state.identifyUntil > now ? state.identifyUntil : undefined;
}

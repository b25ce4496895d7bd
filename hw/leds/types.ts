// The shapes every part of hw/leds shares; index.ts re-exports them.

export type LedRole = 'status' | 'power';
export const LED_ROLES: readonly LedRole[] = ['status', 'power'];

export type LedPattern =
  | { kind: 'off' }
  | { kind: 'on' }
  | { kind: 'heartbeat' }
  /** The kernel's `timer` trigger. */
  | { kind: 'blink'; onMs: number; offMs: number }
  /** The kernel's `pattern` trigger: each step holds a brightness (0–255) for `ms`; repeat -1 = forever. */
  | { kind: 'pattern'; steps: Array<[brightness: number, ms: number]>; repeat: number };

export type LedCondition = 'booting' | 'ready' | 'busy' | 'degraded' | 'error' | 'identify' | 'stopped';
export const LED_CONDITIONS: readonly LedCondition[] = ['booting', 'ready', 'busy', 'degraded', 'error', 'identify', 'stopped'];

export interface LedState {
  health: 'booting' | 'ready' | 'degraded' | 'error' | 'stopping' | 'stopped';
  /** What keeps the node busy now (saving, importing, replicating …); empty when idle. */
  busy: string[];
  /** Why the node is degraded (a peer unreachable, disk past its reserve, temperature high …). */
  degraded: string[];
  /** Epoch ms until which identify shows; identify wins over everything while it is in the future. */
  identifyUntil?: number;
}

export interface LedConfig {
  enabled: boolean;
  /** LED-class names tried in order per role; the first present wins. Pi defaults: status ['ACT','led0'], power ['PWR','led1']. */
  status: string[];
  power: string[];
  /** A bare GPIO line for the status LED when no LED-class device is found: { chip: 'gpiochip0', line: 17 } or null. */
  gpio: { chip: string; line: number } | null;
  /** Per condition, per role, a pattern in text form (see parsePattern) overriding the default. */
  patterns: Partial<Record<LedCondition, Partial<Record<LedRole, string>>>>;
}

export type LedPlan = { condition: LedCondition; leds: Record<LedRole, LedPattern> };

export interface LedDriver {
  readonly backend: 'sysfs' | 'gpiod' | 'sim' | 'none';
  /** Which device plays which role, e.g. { status: 'ACT', power: 'PWR' }, or sim paths. */
  devices(): Partial<Record<LedRole, string>>;
  /** Applies a plan; writes only what changed (rewriting a trigger restarts its blink). Serialised: concurrent calls queue. */
  apply(leds: Record<LedRole, LedPattern>): Promise<void>;
  /** Puts back each LED's trigger/brightness as found at open (e.g. the Pi's ACT `mmc0`). */
  close(): Promise<void>;
}

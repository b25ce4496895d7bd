// openLeds: finds who plays each role (an LED-class device, a bare GPIO line, or a simulated
// tree), and serialises applies. Concurrency: apply() and close() queue on one promise chain,
// so at most one write sequence touches the LEDs at a time; apply() after close() rejects
// with COLONY_CLOSED.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { closed } from '../../appliance/errors.js';
import type { Log } from '../../appliance/log.js';
import { listDevices, realFiles, type LedFiles } from './files.js';
import { GpiodLed } from './gpiod.js';
import { formatPattern } from './pattern.js';
import { isSimTree, makeSimTree, simFiles } from './sim.js';
import { SysfsLed } from './sysfs.js';
import { LED_ROLES, type LedConfig, type LedDriver, type LedPattern, type LedRole } from './types.js';

type Output = SysfsLed | GpiodLed;

export interface OpenLedsOptions {
  config: LedConfig;
  log: Log;
  /** Where LED-class devices live (default /sys/class/leds). A tree made by makeFakeSysfs is driven through the kernel model. */
  sysfsRoot?: string;
  /** Where simulated LEDs are made when nothing real is found. */
  simRoot: string;
  /** The Python interpreter for the GPIO helper (default /usr/bin/python3, whose binding Debian's python3-libgpiod installs; tests point it elsewhere). */
  python?: string;
}

export async function openLeds(opts: OpenLedsOptions): Promise<LedDriver> {
  const { config } = opts;
  const log = opts.log.child({ subsystem: 'leds' });
  if (!config.enabled) return new Leds('none', {}, {}, log);

  const root = opts.sysfsRoot ?? '/sys/class/leds';
  const files: LedFiles = (await isSimTree(root)) ? simFiles(root) : realFiles(root);
  const present = new Set(await listDevices(root));
  const outputs: Partial<Record<LedRole, Output>> = {};
  for (const role of LED_ROLES) {
    for (const name of config[role]) {
      if (!present.has(name)) continue;
      if (!(await files.writable(name, 'trigger')) || !(await files.writable(name, 'brightness'))) {
        log.warn({ role, led: join(root, name) }, 'LED found but not writable (run as root, or grant write with a udev rule); trying the next');
        continue;
      }
      try { outputs[role] = await SysfsLed.open(files, name, log); break; } catch (err) { log.warn({ role, led: name, err }, 'cannot read LED; trying the next'); }
    }
  }
  if (!outputs.status && config.gpio) {
    try {
      outputs.status = await GpiodLed.open(config.gpio.chip, config.gpio.line, log, opts.python);
    } catch (err) {
      log.warn({ role: 'status', gpio: config.gpio, err }, 'cannot drive the GPIO status LED');
    }
  }
  const kindOf = (o: Output | undefined) => (o instanceof GpiodLed ? 'gpiod' : 'sysfs');
  const lead = outputs.status ?? outputs.power;
  if (lead) {
    const devices = Object.fromEntries(Object.entries(outputs).map(([r, o]) => [r, o.device]));
    log.info({ backend: kindOf(lead), devices }, 'status LEDs');
    return new Leds(kindOf(lead), outputs, devices, log);
  }

  // Nothing real: a simulated pair a person can `cat`, driven through the same sysfs code.
  const sim = opts.simRoot;
  await rm(sim, { recursive: true, force: true });
  await makeSimTree(sim, { triggers: ['default-on', 'timer', 'heartbeat', 'pattern'], modules: [] },
    LED_ROLES.map((name) => ({ name, maxBrightness: 255 })));
  const simOut: Partial<Record<LedRole, Output>> = {};
  for (const role of LED_ROLES) simOut[role] = await SysfsLed.open(simFiles(sim), role, log);
  const devices = Object.fromEntries(LED_ROLES.map((r) => [r, join(sim, r)]));
  log.info({ backend: 'sim', simRoot: sim, tried: { status: config.status, power: config.power, gpio: config.gpio } },
    `no status LED found; LEDs are simulated in ${sim}`);
  return new Leds('sim', simOut, devices, log);
}

class Leds implements LedDriver {
  private queue: Promise<void> = Promise.resolve();
  private closing = false;
  /** The last error text per role, so a failing LED is logged once, not on every apply. */
  private readonly lastError = new Map<LedRole, string>();

  constructor(
    readonly backend: LedDriver['backend'],
    private readonly outputs: Partial<Record<LedRole, Output>>,
    private readonly names: Partial<Record<LedRole, string>>,
    private readonly log: Log,
  ) {}

  devices(): Partial<Record<LedRole, string>> { return { ...this.names }; }

  /**
   * Resolves once every LED shows its pattern, or has failed: a failing LED is logged (once
   * per distinct error) and retried on the next apply, so the supervisor never stops for a light.
   */
  apply(leds: Record<LedRole, LedPattern>): Promise<void> {
    if (this.closing) return Promise.reject(closed('leds'));
    return this.enqueue(async () => {
      for (const role of LED_ROLES) {
        const out = this.outputs[role];
        if (!out) continue;
        try {
          await out.apply(leds[role]);
          this.lastError.delete(role);
        } catch (err) {
          const text = String((err as Error).message);
          if (this.lastError.get(role) !== text) this.log.warn({ role, led: out.device, pattern: formatPattern(leds[role]), err }, 'cannot set LED');
          this.lastError.set(role, text);
        }
      }
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.queue;
    this.closing = true;
    return this.enqueue(async () => {
      for (const role of LED_ROLES) {
        const out = this.outputs[role];
        if (!out) continue;
        try { await out.restore(); } catch (err) { this.log.warn({ role, led: out.device, err }, 'cannot restore LED'); }
      }
    });
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job);
    this.queue = next.catch(() => {});
    return next;
  }
}

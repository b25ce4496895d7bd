// The supervisor's one door to the board (hw/): the status LEDs, the serial console and what
// the board reports. Each device has a Linux backend and a simulated one rooted in DATA/hw,
// chosen by the device itself (hw/*: what it finds), so the same supervisor runs on a Pi,
// a laptop and in CI; each says once in the log when it is simulated.
//
// The LEDs follow a pure plan (hw/leds planLeds) of what this class gathers: the health
// state, what is busy (saves, imports, replication), why the node is degraded (peers, the
// board's temperature and disk), and an identify deadline. A tick re-plans every second and
// the driver writes only what changed, so the kernel's triggers do the blinking.
//
// Concurrency: everything here runs on the event loop; the driver serialises its writes, so
// ticks and immediate refreshes may overlap.
import { join } from 'node:path';
import { openLeds, planLeds, type LedConfig, type LedCondition, type LedDriver, type LedState } from '../../hw/leds/index.js';
import { openSerialLine, type SerialConfig, type SerialLine } from '../../hw/serial/index.js';
import { addresses, judge, readBoard, startSysinfo, type Sysinfo, type SysinfoConfig } from '../../hw/sysinfo/index.js';
import type { BoardInfo, Interpreter, NodeInfo } from '../console/index.js';
import type { FailureLimiter } from '../console/ssh/index.js';
import { serveSerialConsole } from '../console/serial/index.js';
import type { Catalog } from '../catalog/index.js';
import { firstBootInfo } from './first-boot.js';
import type { Log } from '../log.js';

export interface HardwareOptions {
  data: string;
  log: Log;
  leds: LedConfig;
  serial: SerialConfig;
  sysinfo: SysinfoConfig;
  /** What is busy now ('saving', 'importing', 'replicating'); asked at each tick. */
  busy: () => string[];
  /** Called when the board's own degraded reasons (temperature, disk reserve) change. */
  onBoardDegraded: (reasons: string[]) => void;
  /** Every reason the node is degraded now (the supervisor's, peers and board); asked at each tick. */
  degraded: () => string[];
  /** Overrides for tests: where the LED class and the proc/sys files are. */
  sysfsLeds?: string;
  root?: string;
}

export interface SerialConsoleDeps {
  catalog: Catalog;
  interpreter: Interpreter;
  node: NodeInfo;
  onShutdown: (by: string) => void;
  /** The SSH console's failure limiter: a user locked out there is locked out on the line too. */
  limiter?: FailureLimiter;
}

const TICK_MS = 1000;

const NO_LEDS: LedDriver = { backend: 'none', devices: () => ({}), apply: async () => {}, close: async () => {} };


export class Hardware {
  private health: LedState['health'] = 'booting';
  private identifyUntil = 0;
  private condition: LedCondition = 'booting';
  private timer: NodeJS.Timeout | undefined;
  private serial: SerialLine | undefined;
  private stopped = false;
  /** The board model (device tree or DMI), read once at start. */
  private model: string | null = null;

  private constructor(private readonly opts: HardwareOptions, private readonly leds: LedDriver, private readonly sysinfo: Sysinfo) {}

  static async start(opts: HardwareOptions): Promise<Hardware> {
    const log = opts.log.child({ service: 'hw' });
    const simRoot = join(opts.data, 'hw');
    const sysinfo = startSysinfo({ config: opts.sysinfo, dataDir: opts.data, log, ...(opts.root !== undefined ? { root: opts.root } : {}) });
    let leds: LedDriver;
    try {
      leds = await openLeds({ config: opts.leds, log, simRoot: join(simRoot, 'leds'), ...(opts.sysfsLeds ? { sysfsRoot: opts.sysfsLeds } : {}) });
    } catch (err) {
      // Only the simulated tree can fail (a full or read-only data disk): LEDs are no reason
      // not to serve, and whatever is wrong with the disk is said by the step that needs it.
      log.warn({ err }, 'no status LEDs: the simulated ones could not be made');
      leds = NO_LEDS;
    }
    const hw = new Hardware({ ...opts, log }, leds, sysinfo);
    hw.model = await readBoard(opts.root ?? '').catch(() => null);
    // The supervisor keeps the reasons and says a change once (conditions.ts).
    sysinfo.onSample((s) => opts.onBoardDegraded(judge(s, opts.sysinfo)));
    const first = sysinfo.latest(); // a sample taken while the LEDs opened
    if (first) opts.onBoardDegraded(judge(first, opts.sysinfo));
    hw.timer = setInterval(() => hw.refresh(), TICK_MS);
    hw.timer.unref();
    hw.refresh();
    return hw;
  }

  /** The serial console, once the catalog and the grid are open: the login and the registry on the line. */
  startSerial(deps: SerialConsoleDeps): void {
    if (!this.opts.serial.enabled || this.serial || this.stopped) return;
    const { data, log } = this.opts;
    this.serial = openSerialLine({
      config: this.opts.serial, log, simRoot: join(data, 'hw'),
      onOpen: (line) => {
        const session = serveSerialConsole(line, {
          accounts: deps.catalog, interpreter: deps.interpreter, node: deps.node, log, onShutdown: deps.onShutdown, ...(deps.limiter ? { limiter: deps.limiter } : {}),
          firstBoot: () => firstBootInfo(data, deps.catalog, deps.node.id),
        });
        return () => session.close();
      },
    });
  }

  setHealth(health: LedState['health']): void {
    this.health = health;
    this.refresh();
  }

  /** Blinks the identify pattern until now + seconds (0 stops it). */
  identify(seconds: number, by: string): { until: number; leds: string } {
    this.identifyUntil = seconds > 0 ? Date.now() + seconds * 1000 : 0;
    this.opts.log.info({ seconds, by }, seconds > 0 ? 'identify: blinking the LEDs' : 'identify stopped');
    this.refresh();
    return { until: this.identifyUntil, leds: this.ledNames() };
  }

  board(): BoardInfo {
    const s = this.sysinfo.latest();
    const serial = this.serial?.status();
    return {
      ...(this.model ? { model: this.model } : {}),
      ...(s ? { sample: { temperatureC: s.temperatureC, memory: s.memory, load: s.load, uptimeSeconds: s.uptimeSeconds, disk: s.disk } } : {}),
      addresses: addresses(),
      degraded: this.opts.degraded(),
      leds: { condition: this.condition, backend: this.leds.backend, devices: this.ledNames() },
      ...(serial && this.serial ? { serial: { path: this.serial.path, state: this.serial.simulated ? `simulated at ${this.serial.path}` : serial.open ? 'open' : `retrying${serial.error ? `: ${serial.error}` : ''}` } } : {}),
    };
  }

  /** The board's latest sample and degraded reasons, for health.json. */
  healthRecord(): Record<string, unknown> {
    const s = this.sysinfo.latest();
    return { leds: this.condition, ...(s ? { sampled: new Date(s.at).toISOString(), temperatureC: s.temperatureC, memory: s.memory, load: s.load, disk: s.disk } : {}) };
  }

  /** Stops the console and the polls; the LEDs go back to what they showed before we started. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.sysinfo.stop();
    const errors: unknown[] = [];
    await this.serial?.stop().catch((err: unknown) => { errors.push(err); });
    await this.leds.close().catch((err: unknown) => { errors.push(err); });
    if (errors.length) throw errors[0];
  }

  private ledNames(): string {
    return Object.entries(this.leds.devices()).map(([role, dev]) => `${role} ${dev}`).join(', ');
  }

  private refresh(): void {
    if (this.stopped) return;
    const state: LedState = { health: this.health, busy: this.opts.busy(), degraded: this.opts.degraded(), ...(this.identifyUntil ? { identifyUntil: this.identifyUntil } : {}) };
    const plan = planLeds(state, this.opts.leds, Date.now());
    if (plan.condition !== this.condition) this.opts.log.debug({ from: this.condition, to: plan.condition }, 'LED condition');
    this.condition = plan.condition;
    this.leds.apply(plan.leds).catch((err: unknown) => this.opts.log.warn({ err }, 'setting the LEDs failed'));
  }
}

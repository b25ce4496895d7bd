// Retries for one serial line: consecutive failures, the next delay, and the log.
import type { Log } from '../../appliance/log.js';
import { retryDelay, RETRY_DEFAULTS, type RetryOptions } from './config.js';

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Retries for one line: counts consecutive failures, logs a new error at warn and a repeat
 * at debug (a missing adapter would otherwise write a line every 30 s for ever).
 */
export class Retry {
  retries = 0;
  error: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private openedAt = 0;

  constructor(private readonly log: Log, private readonly path: string, private readonly options: RetryOptions = RETRY_DEFAULTS) {}

  opened(now = Date.now()): void {
    this.openedAt = now;
    this.error = undefined;
  }

  /** Schedules `again` after a failure; false when stopped. */
  failed(err: unknown, again: () => void, stopped: boolean, now = Date.now()): void {
    if (stopped) return;
    // A line that stayed open a while starts the schedule again; one that flaps keeps backing off.
    if (this.openedAt && now - this.openedAt >= this.options.maxMs) this.retries = 0;
    this.openedAt = 0;
    this.retries++;
    const delayMs = retryDelay(this.retries, this.options);
    const text = errText(err);
    const level = text === this.error ? 'debug' : 'warn';
    this.error = text;
    this.log[level]({ err, path: this.path, retryInMs: delayMs, retries: this.retries }, 'serial line failed; retrying');
    clearTimeout(this.timer);
    this.timer = setTimeout(again, delayMs);
    this.timer.unref?.();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}

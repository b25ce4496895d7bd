// Closing the supervisor's services, each within a time limit. One service that never
// finishes (a D-Bus call to a daemon that stopped first, a peer that does not answer) must
// not keep the ones after it from closing: those unmount environments and sync the store,
// and a v9fs mount left behind when the process exits can hang the machine's final sync.

import type { Log } from '../log.js';
import { loggable } from './os-errors.js';

export interface Closable { name: string; close(): Promise<void> }

/** How long one service may take to close before the next one starts anyway. */
export const SERVICE_CLOSE_LIMIT_MS = 5_000;

/**
 * Closes `services` one after another, in the order given. A close that throws, or has not
 * finished after `limitMs`, is logged with the service's name and recorded; the next one
 * starts regardless (Infinity: no limit). Returns the errors (a timeout is one), in order.
 */
export async function closeInOrder(services: readonly Closable[], log: Pick<Log, 'error'>, limitMs = SERVICE_CLOSE_LIMIT_MS): Promise<Error[]> {
  const errors: Error[] = [];
  for (const service of services) {
    let timer: NodeJS.Timeout | undefined;
    // Infinity: no limit (setTimeout would take it for 1 ms).
    const late = Number.isFinite(limitMs) ? new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), limitMs); }) : new Promise<'late'>(() => {});
    try {
      const outcome = await Promise.race([service.close().then(() => 'closed' as const), late]);
      if (outcome === 'late') {
        const err = new Error(`stopping ${service.name} took over ${limitMs} ms; going on without it`);
        errors.push(err);
        log.error({ service: service.name, err: loggable(err) }, 'stopping a service took too long');
      }
    } catch (err) {
      errors.push(err instanceof Error ? err : new Error(String(err)));
      log.error({ service: service.name, err: loggable(err) }, 'stopping a service failed');
    } finally {
      clearTimeout(timer);
    }
  }
  return errors;
}

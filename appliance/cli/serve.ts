// `colony serve`: the long-running supervisor that `npm start` runs.
import { createLog } from '../log.js';
import { Supervisor } from '../supervisor/index.js';
import type { Command } from './command.js';

const SHUTDOWN_LIMIT_MS = 20_000;

export const serve: Command = {
  path: ['serve'],
  summary: 'Run the Colony supervisor in the foreground until SIGINT or SIGTERM.',
  description: `Opens the data directory (creating it if needed) and runs every service on it.
On SIGINT or SIGTERM it stops cleanly: the store is synced and closed. If that takes longer
than ${SHUTDOWN_LIMIT_MS / 1000} s, or a second signal arrives, it exits at once with status 1.
Logs are JSON lines on standard error (set COLONY_LOG_LEVEL=debug for more).`,
  async run(ctx) {
    const log = createLog();
    const supervisor = new Supervisor({ data: ctx.data, log });
    let stopping: Promise<number> | undefined;
    const stop = (signal: string) => {
      if (stopping) { log.warn({ signal }, 'second signal: exiting without a clean shutdown'); process.exit(1); }
      log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => { log.error({}, 'shutdown took too long; exiting'); process.exit(1); }, SHUTDOWN_LIMIT_MS);
      timer.unref();
      stopping = supervisor.stop().then(() => 0, (err) => { log.error({ err: String(err) }, 'shutdown failed'); return 1; });
      return stopping;
    };
    const done = new Promise<number>((resolve) => {
      process.once('SIGINT', () => { void stop('SIGINT').then(resolve); process.on('SIGINT', () => stop('SIGINT')); });
      process.once('SIGTERM', () => { void stop('SIGTERM').then(resolve); process.on('SIGTERM', () => stop('SIGTERM')); });
    });
    try {
      await supervisor.start();
    } catch (err) {
      await supervisor.stop().catch(() => {});
      throw err;
    }
    // The signal handlers keep the process alive; nothing else needs to.
    const keepAlive = setInterval(() => {}, 1 << 30);
    const code = await done;
    clearInterval(keepAlive);
    return code;
  },
};

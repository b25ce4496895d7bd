// `colony serve`: the long-running supervisor that `npm start` runs; and `colony config show`.
import { readFileSync } from 'node:fs';
import { createLog } from '../log.js';
import { loadConfig, type Config } from '../supervisor/config.js';
import { Supervisor } from '../supervisor/index.js';
import { DATA_UMASK, repairDataModes } from '../supervisor/data-modes.js';
import { validateConfig } from '../supervisor/config.js';
import type { Command, CommandContext } from './command.js';
import { writeJson } from './command.js';
import { announceFirstAdmin, watchFirstAdminFile } from './first-admin.js';
import { localExec } from './local-exec.js';

const SHUTDOWN_LIMIT_MS = 20_000;

/** Colony's version, from the package.json above this file (in the source tree or in dist/). */
export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'colony') return pkg.version;
    } catch { /* try the next level */ }
  }
  return 'unknown';
}

const configOptions = {
  config: { type: 'string' as const, arg: 'FILE', help: 'a JSON config file (default: $COLONY_CONFIG, else /etc/colony/colony.json if present)' },
  '9p': { type: 'string' as const, arg: 'ADDR', multiple: true, help: '9P TCP listener host:port (repeatable; replaces ninep.listen)' },
  ssh: { type: 'string' as const, arg: 'ADDR', help: 'SSH console listener host:port (replaces ssh.listen)' },
  peer: { type: 'string' as const, arg: 'ADDR', multiple: true, help: 'peer network listener host:port (repeatable; replaces peer.listen; default 0.0.0.0:17034)' },
  web: { type: 'string' as const, arg: 'ADDR', help: "the front panel's host:port (replaces web.listen), or off (web.enabled false)" },
};

/** The config in effect: the file (or defaults), then the command line's overrides. */
async function effectiveConfig(ctx: CommandContext): Promise<{ config: Config; source: string }> {
  const { config, source } = await loadConfig(ctx.values.config as string | undefined);
  const overrides: Record<string, Record<string, unknown>> = {};
  if (ctx.values['9p']) overrides.ninep = { listen: ctx.values['9p'] };
  if (ctx.values.ssh) overrides.ssh = { listen: ctx.values.ssh };
  if (ctx.values.peer) overrides.peer = { listen: ctx.values.peer };
  const web = ctx.values.web as string | undefined;
  if (web !== undefined) overrides.web = web === 'off' ? { enabled: false } : { enabled: true, listen: web };
  return { config: validateConfig(overrides, config), source: Object.keys(overrides).length ? `${source} + command line` : source };
}

export const serve: Command = {
  path: ['serve'],
  summary: 'Run the Colony supervisor in the foreground until SIGINT or SIGTERM.',
  options: configOptions,
  description: `Opens the data directory (creating it if needed): the block store, the catalog, the
environments (disk environments come back), and serves 9P on DATA/9p.sock (mode 0600) and on
TCP (default 0.0.0.0:564 as root, 0.0.0.0:5640 otherwise). On SIGINT or SIGTERM it stops
cleanly: disk environments are checkpointed and the store is synced. If that takes longer
than ${SHUTDOWN_LIMIT_MS / 1000} s, or a second signal arrives, it exits at once with status 1.
Logs go to standard error: readable lines on a terminal, JSON lines otherwise (journald, pipes);
log.format or COLONY_LOG_FORMAT (auto, pretty, json) forces one. COLONY_LOG_LEVEL overrides log.level.`,
  async run(ctx) {
    const { config, source } = await effectiveConfig(ctx);
    const log = createLog({ level: process.env.COLONY_LOG_LEVEL ?? config.log.level, format: config.log.format });
    log.info({ config: source, data: ctx.data }, 'starting');
    // Everything the supervisor and LevelDB create in DATA from here on is the owner's only;
    // what an older or careless start left readable is repaired before anything is opened.
    process.umask(DATA_UMASK);
    await repairDataModes(ctx.data, log);
    const served = { data: ctx.data, log, version: packageVersion(), started: Date.now() };
    const supervisor: Supervisor = new Supervisor({
      data: ctx.data, log, config, version: packageVersion(),
      // `colony scores`, `import`, … from this machine run in here while we hold the directory.
      // An import blinks the busy LED while it runs.
      localExec: (req, io) => req.argv.includes('import') ? supervisor.whileBusy('importing', () => localExec(supervisor, served, req, io)) : localExec(supervisor, served, req, io),
      onShutdown: () => { process.kill(process.pid, 'SIGTERM'); }, // through the same clean stop as a signal
      // Shown on a terminal; otherwise (the journal) written to DATA/first-admin-password, never logged.
      onFirstAdmin: (name, password) => announceFirstAdmin(ctx.data, ctx.err, name, password),
    });
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
    const stopWatching = watchFirstAdminFile(ctx.data, supervisor.catalog, log);
    const keepAlive = setInterval(() => {}, 1 << 30);
    const code = await done;
    clearInterval(keepAlive);
    stopWatching();
    return code;
  },
};

export const configShow: Command = {
  path: ['config', 'show'],
  summary: 'Print the configuration in effect (defaults, the file, and command-line overrides).',
  options: configOptions,
  json: true,
  async run(ctx) {
    const { config, source } = await effectiveConfig(ctx);
    if (ctx.json) writeJson(ctx.out, config);
    else ctx.out.write(`# from ${source}\n${JSON.stringify(config, null, 2)}\n`);
    return 0;
  },
};

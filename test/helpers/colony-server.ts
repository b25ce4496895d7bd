// Colony for the v9fs system tests, two ways:
// - startSupervisor: the product path. A real `colony serve` child process on a fresh data
//   directory (a snapshot imported first with `colony import`, as a user does), its own free
//   ports, environments spawned through SSH (the OpenSSH client) or the ctl file, and the
//   mount line that `spawn` printed. Stopped by PID at teardown.
// - startColony: a test-only server on a bare Volume, for what needs the volume in-process
//   (bench/ninep.ts; no system test uses it now): a fresh store, a volume imported from a small tree (or an empty
//   one), served in-process on a unix socket under the attach name `env/test` (route
//   'env/test', so `server.disconnectRoute` cuts the guest off as a boom does). Attach
//   identities come from `attachIdentity`, as in the supervisor's wiring. Closed at teardown.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, cliEntry, repoRoot, runCli, tsLoader, type CliResult } from './cli.js';
import { passwordOnly, runSshClient, sshOptions, type SshResult } from './openssh.js';
import { NinepServer, routeTable } from '../../appliance/ninep/index.js';
import { VolumeBackend } from '../../appliance/ninep/volume-backend.js';
import { exportDirectory, importDirectory } from '../../appliance/snapshot/index.js';
import { BlockStore } from '../../appliance/store/index.js';
import { attachIdentity } from '../../appliance/supervisor/ninep-routes.js';
import { Volume } from '../../appliance/volume/index.js';
import { guestTcpHost, type MountOptions, type Teardown } from './vm.js';

export interface ColonyServer {
  socket: string;
  aname: string;
  route: string;
  server: NinepServer;
  volume: Volume;
  store: BlockStore;
  /** Every attach made so far (uname, uid), for diagnostics. */
  attaches: Array<{ uname: string; uid: number }>;
  /** Saves the volume and exports the saved tree to a new directory; returns its path. */
  saveAndExport(): Promise<string>;
}

export const colonyRoute = 'env/test';

/**
 * Starts Colony's 9P server over a fresh store and volume. `seed`, when given, is a host
 * directory imported as the volume's first tree; otherwise the volume starts from an empty
 * directory (mode 0755, owned by root). `t` is a tap Test, or anything with teardown.
 */
export async function startColony(t: Teardown, opts: { seed?: string; maxMsize?: number } = {}): Promise<ColonyServer> {
  const dir = await mkdtemp(join(process.env.COLONY_TEST_TMP ?? tmpdir(), 'colony-vm-colony-'));
  let store: BlockStore | undefined;
  let server: NinepServer | undefined;
  // One clean-up, in order: connections, then the store, then its directory.
  t.teardown(async () => {
    await server?.close().catch(() => {});
    await store?.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  // uid 65534 (the checklist's non-root half) only needs to reach the socket's directory.
  await chmod(dir, 0o755);
  let seed = opts.seed;
  if (!seed) {
    seed = join(dir, 'seed');
    await mkdir(seed, { mode: 0o755 });
    await chmod(seed, 0o755);
  }
  store = await BlockStore.open(join(dir, 'store'));
  const { root } = await importDirectory(store, seed);
  const volume = await Volume.open(store, root);
  const attaches: ColonyServer['attaches'] = [];
  server = new NinepServer({
    maxMsize: opts.maxMsize ?? 1 << 20,
    router: routeTable({
      [colonyRoute]: async (req) => {
        const backend = new VolumeBackend(volume);
        const id = await attachIdentity(volume, req);
        attaches.push({ uname: req.uname, uid: id.uid });
        return { backend, root: await backend.root(), user: { ...id, uname: req.uname }, route: colonyRoute };
      },
    }),
  });
  const socket = join(dir, 'colony.sock');
  await server.listen(socket);
  let exports = 0;
  return {
    socket, aname: colonyRoute, route: colonyRoute, server, volume, store, attaches,
    async saveAndExport() {
      const saved = await volume.save();
      const dest = join(dir, `export-${exports++}`);
      await exportDirectory(store, saved.root, dest);
      return dest;
    },
  };
}

/** The mount options for Colony: the attach name, and uname root (the guest runs as root). */
export function colonyMount(colony: Pick<ColonyServer, 'aname'>, m: MountOptions = {}): MountOptions {
  return { version: '9p2000.L', aname: colony.aname, uname: 'root', msize: 65536, ...m };
}

/** The KEY=VALUE lines a guest script printed. */
export function saidBy(output: string): Record<string, string | undefined> {
  return Object.fromEntries([...output.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]]));
}

/**
 * A bash command that lists DIR (relative to the cwd) the same way wherever it runs: path,
 * type, mode, owner and link count of every entry, sizes of files, symlink targets, then the
 * sha256 of every file under `maxBytes`. Run in the guest on the mount and on the host on the
 * exported tree; equal output means the saved tree holds what the guest wrote.
 */
export function listingCommand(dir: string, maxBytes = 16 << 20): string {
  return `LC_ALL=C find ${dir} \\( -type f -printf '%p f %m %U:%G %n %s\\n' \\) -o \\( -type l -printf '%p l %U:%G -> %l\\n' \\) -o -printf '%p %y %m %U:%G\\n' | LC_ALL=C sort` +
    ` && LC_ALL=C find ${dir} -type f -size -${maxBytes}c -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum`;
}

// ---------------------------------------------------------------------------------------
// The product path: `colony serve` as a child process.

export interface Spawned {
  /** The environment's name. */
  env: string;
  aname: string;
  /** The mount line exactly as `spawn` printed it (HOST for the host). */
  mount: string;
  /** Everything `spawn` printed. */
  output: string;
}

export interface ColonySupervisor {
  data: string;
  /** DATA/9p.sock: env/NAME without a token, and ctl. */
  socket: string;
  /** The 9P TCP port (on 127.0.0.1) and the SSH console's. */
  ninepPort: number;
  sshPort: number;
  /** The admin's password: `colony import` printed a one-time one, replaced here with `colony users passwd` (a one-time password must be changed before `ssh host CMD` works). */
  password: string;
  pid: number;
  /** The supervisor's log so far (JSON lines; the last 200 kB). */
  log(): string;
  /** One console command as admin through the OpenSSH client (password login). */
  ssh(command: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** One console command as admin through the ctl file on DATA/9p.sock; rejects on `error:`. */
  ctl(command: string): Promise<string>;
  /** `spawn` (ram) or `spawndisk` (disk) of the imported snapshot, through SSH or ctl. */
  spawn(opts: { as: string; disk?: boolean; via: 'ssh' | 'ctl' }): Promise<Spawned>;
  /** Saves ENV as NAME (ctl), stops the supervisor, and exports NAME with `colony export`. */
  saveStopExport(env: string, name: string): Promise<string>;
  /** SIGTERM, then waits for a clean exit (SIGKILL after 30 s). Idempotent. */
  stop(): Promise<number | null>;
  cli(args: string[]): Promise<CliResult>;
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

let sshTools = false;

export interface SupervisorOptions {
  seed?: string;
  snapshot?: string;
  /** Runs `colony serve` through this (a network namespace: test/helpers/netns.ts `lan.wrap`). The PID stays the supervisor's: `ip netns exec` execs it. */
  netns?: { wrap(cmd: string, args: string[]): [string, string[]] };
  /** The peer listener (default 127.0.0.1:0); in a namespace, its LAN address, say 10.213.0.1:17034. */
  peerListen?: string;
  /** A config (JSON) written to DIR/colony.json and passed with --config. */
  config?: Record<string, unknown>;
}

/**
 * Imports `seed` (default: an empty root-owned 0755 directory) as `snapshot` into a fresh data
 * directory with `colony import`, then runs `colony serve` on it with free ports, and waits
 * until health.json says ready. The child and its directory go at teardown.
 */
export async function startSupervisor(t: Teardown, opts: SupervisorOptions = {}): Promise<ColonySupervisor> {
  if (!sshTools) {
    execFileSync(join(repoRoot, 'scripts/ensure-apt.sh'), ['openssh-client', 'sshpass'], { stdio: 'inherit', timeout: 300_000 });
    sshTools = true;
  }
  const dir = await mkdtemp(join(process.env.COLONY_TEST_TMP ?? tmpdir(), 'colony-vm-supervisor-'));
  await chmod(dir, 0o755);
  const data = join(dir, 'data');
  const snapshot = opts.snapshot ?? 'seed';
  let stop: () => Promise<number | null> = async () => null;
  t.teardown(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  let seed = opts.seed;
  if (!seed) {
    seed = join(dir, 'seed');
    await mkdir(seed, { mode: 0o755 });
    await chmod(seed, 0o755);
  }
  const cli = (args: string[]) => runCli([...args, '--data', data], { timeoutMs: 120_000, env: { COLONY_LOG_LEVEL: 'warn' } });
  const imported = await cli(['import', seed, snapshot, '--comment', 'system test seed']);
  if (imported.code !== 0) throw new Error(`colony import failed (${imported.code}): ${imported.stderr}`);
  const password = `sys-${randomBytes(12).toString('hex')}`;
  const changed = await runCli(['users', 'passwd', 'admin', '--data', data], { timeoutMs: 120_000, input: `${password}\n`, env: { COLONY_LOG_LEVEL: 'warn' } });
  if (changed.code !== 0) throw new Error(`colony users passwd admin failed (${changed.code}): ${changed.stderr}`);

  const [ninepPort, sshPort] = [await freePort(), await freePort()];
  const configArgs: string[] = [];
  if (opts.config) {
    await writeFile(join(dir, 'colony.json'), JSON.stringify(opts.config));
    configArgs.push('--config', join(dir, 'colony.json'));
  }
  const serveArgs = [
    '--initial-old-space-size=64', ...tsLoader, cliEntry, 'serve', '--data', data, ...configArgs,
    '--9p', `127.0.0.1:${ninepPort}`, '--ssh', `127.0.0.1:${sshPort}`, '--peer', opts.peerListen ?? '127.0.0.1:0',
    // The front panel only where a test configures it: the default port is shared by every test.
    ...(opts.config?.web ? [] : ['--web', 'off']),
  ];
  const [cmd, args] = opts.netns ? opts.netns.wrap(process.execPath, serveArgs) : [process.execPath, serveArgs];
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: childEnv({ COLONY_LOG_LEVEL: process.env.COLONY_LOG_LEVEL ?? 'info' }) });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => { log = (log + s).slice(-200_000); });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let stopping: Promise<number | null> | undefined;
  stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) child.kill('SIGTERM');
      const timer = setTimeout(() => { if (child.exitCode === null && child.pid) child.kill('SIGKILL'); }, 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    })();
    return stopping;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await readFile(join(data, 'health.json'), 'utf8').then((s) => (JSON.parse(s) as { state: string }).state, () => 'none');
    if (state === 'ready') break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`colony serve did not become ready (state ${state}): ${log.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const socket = join(data, '9p.sock');
  const ssh = (command: string) => sshCommand(sshPort, password, command);
  const ctl = async (command: string) => {
    const r = await runCli(['9p', '--aname', 'ctl', '--uname', 'admin', 'write', socket, 'ctl', command], { timeoutMs: 120_000 });
    const out = r.stdout.toString();
    if (r.code !== 0 || /^error:/m.test(out)) throw new Error(`ctl '${command}' failed (${r.code}): ${out}${r.stderr}`);
    return out;
  };
  return {
    data, socket, ninepPort, sshPort, password, pid: child.pid ?? -1, log: () => log, ssh, ctl, cli, stop: () => stop(),
    async spawn({ as, disk, via }) {
      const command = `${disk ? 'spawndisk' : 'spawn'} ${snapshot} as ${as}`;
      let output: string;
      if (via === 'ssh') {
        const r = await ssh(command);
        if (r.code !== 0) throw new Error(`ssh ${command} failed (${r.code}): ${r.stdout}${r.stderr}`);
        output = r.stdout;
      } else {
        output = await ctl(command);
      }
      return { env: as, ...parseSpawn(output), output };
    },
    async saveStopExport(env, name) {
      await ctl(`save ${env} ${name}`);
      const code = await stop();
      if (code !== 0) throw new Error(`colony serve exited ${code} on SIGTERM: ${log.slice(-4000)}`);
      const dest = join(dir, `export-${name}`);
      const r = await cli(['export', name, dest]);
      if (r.code !== 0) throw new Error(`colony export failed (${r.code}): ${r.stderr}`);
      return dest;
    },
  };
}

/** The OpenSSH client, once, as admin with a password (through sshpass), bounded in time. */
function sshCommand(port: number, password: string, command: string): Promise<SshResult> {
  const args = ['-p', password, 'ssh', ...sshOptions(), '-T', ...passwordOnly(), '-p', String(port), 'admin@127.0.0.1', command];
  return runSshClient('sshpass', args, { timeoutMs: 60_000 });
}

/** The aname and the mount line from what `spawn` printed (`aname: …`, `mount: …`). */
export function parseSpawn(output: string): { aname: string; mount: string } {
  const aname = /^aname: (\S+)$/m.exec(output)?.[1];
  const mount = /^mount: (mount -t 9p .*)$/m.exec(output)?.[1];
  if (!aname || !mount) throw new Error(`spawn printed no aname or mount line: ${output}`);
  return { aname, mount };
}

/**
 * The mount line `spawn` printed, made runnable in the guest: HOST becomes the guest's
 * address for forwarded ports and port= the forwarded port; nothing else of the line changes.
 * `more` (the test's mode: msize, cache, access) is appended to the option list, where the
 * kernel lets a later option override an earlier one.
 */
export function guestMountLine(printed: string, port: number, more: MountOptions = {}): string {
  const m = /^mount -t 9p -o (\S+) HOST (\/\S*)$/.exec(printed);
  if (!m) throw new Error(`not the mount line spawn prints: ${printed}`);
  if (!/(^|,)port=\d+(,|$)/.test(m[1]!)) throw new Error(`the printed mount line has no port=: ${printed}`);
  const opts = m[1]!.replace(/(^|,)port=\d+/, `$1port=${port}`).split(',');
  const given = new Set(opts);
  const add = (o: string) => { if (!given.has(o)) opts.push(o); };
  if (more.msize !== undefined) add(`msize=${more.msize}`);
  if (more.access !== undefined) add(`access=${more.access}`);
  if (more.cache !== undefined) add(`cache=${more.cache}`);
  if (more.uname !== undefined) add(`uname=${more.uname}`);
  if (more.extra) add(more.extra);
  return `mount -t 9p -o ${opts.join(',')} ${guestTcpHost} ${m[2]}`;
}

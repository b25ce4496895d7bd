// The ExecService of one node: who may start what in which environment, the environment's
// mount and cgroup (made on its first process, removed when it stops), and the sessions.
//
// Concurrency (see types.ts): one lock per environment serialises its mount, its group and
// each start's spawn with the stop hook, which the grid awaits on boom before revoking the
// token. A start re-checks after taking the lock that the environment is still the running
// one; the grid forgets an environment before its stop hooks run, so a start after that
// fails COLONY_NOT_FOUND, and one that got the lock first is killed by the hook.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rmdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { join } from 'node:path';
import { ColonyError, closed, notFound, permission } from '../errors.js';
import type { Environment, Grid } from '../grid/index.js';
import { silentLog, type Log } from '../log.js';
import { applySteps, childGroups, envGroupName, killGroup, planEnvGroup, planLayout, sessionLeafName, type Limits } from './cgroup.js';
import { FALLBACK_ROOT, accountOf, baseEnv, planLaunch, programOf, type Account, type Tools } from './launch.js';
import { cleanStale, findProgram, mountEnv, resolveIn, run, unmount, volumeFs, type CacheMode, type EnvFs } from './mounts.js';
import { cgroup2PathOf, findTool, gatherFacts, planAvailability, type ExecFacts } from './probe.js';
import { FailedProcess, Session, listProcesses, loadPty, signalProcess, type FileId } from './session.js';
import type { ExecProcess, ExecRequest, ExecService, ProcessInfo } from './types.js';

export interface ExecutorOptions {
  grid: Grid;
  /** The supervisor's data directory (it names the default mountDir). */
  data: string;
  /**
   * Where environments are mounted (MOUNTDIR/NAME); default /run/colony-exec-HASH, HASH from
   * `data`. Not under DATA: an invited user's unprivileged bwrap must reach the mount by
   * path, and DATA is 0700. The directory is 0711 (entered, not listed).
   */
  mountDir?: string;
  /** The supervisor's 9P unix socket (DATA/9p.sock), which serves env/NAME to uname=OWNER. */
  socketPath: string;
  /** The cgroup limits of an environment owned by `owner` (the config's, with per-user overrides). */
  limitsFor(owner: string): Limits;
  /** v9fs cache mode; default mmap (page cache for mmap'd files such as executables, no metadata caching). */
  cache?: CacheMode;
  log?: Log;
  /**
   * FOR HOST TESTS ONLY (a host without 9p or cgroup controllers): `root` gives a directory
   * bind-mounted where the v9fs mount would be, and its lookups; without `cgroups` no cgroup is
   * used (sessions are found by process ancestry instead). Availability then checks only
   * root, bwrap and setpriv.
   * `cgroups`: a directory in a cgroup2 hierarchy (even one with no controllers) to hold the
   * environments' groups and session leaves, without limits.
   */
  testing?: { root(env: Environment): Promise<{ dir: string; fs: EnvFs }>; cgroups?: string };
}

interface EnvState {
  env: Environment;
  dir: string;
  fs: EnvFs;
  /** The environment's cgroup, when cgroups are on. */
  group?: string;
  sessions: Set<Session>;
}

const DRAIN_MS = 5000;

/** /run/colony-exec-HASH: one directory per data directory, so two supervisors on one host never share mounts. */
export const defaultMountDir = (data: string) => `/run/colony-exec-${createHash('sha256').update(resolve(data)).digest('hex').slice(0, 12)}`;

export async function openExecutor(opts: ExecutorOptions): Promise<Executor> {
  const facts = await gatherFacts();
  const testing = opts.testing !== undefined;
  const unavailable = planAvailability(testing ? { ...facts, ninep: true, cgroup2: '/', controllers: ['memory', 'pids', 'cpu'] } : facts);
  const ex = new Executor(opts, facts, unavailable);
  if (!unavailable) await ex.setup();
  return ex;
}

export class Executor implements ExecService {
  private readonly log: Log;
  private readonly states = new Map<string, EnvState>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private envsGroup: string | undefined;
  private tools!: Tools;
  private umountBin = '/usr/bin/umount';
  private bwrapId: FileId = { dev: -1, ino: -1 };
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private unhook: (() => void) | undefined;

  constructor(private readonly opts: ExecutorOptions, private readonly facts: ExecFacts, readonly unavailable: string | undefined) {
    this.log = opts.log ?? silentLog;
    this.mntDir = opts.mountDir ?? defaultMountDir(opts.data);
    if (unavailable) this.log.warn({ reason: unavailable }, 'cpu is unavailable on this node');
  }

  private readonly mntDir: string;

  /** Finds the tools, cleans what a killed supervisor left (mounts, groups), makes the cgroup layout, hooks into boom. */
  async setup(): Promise<void> {
    const f = this.facts;
    this.tools = { sh: (await findTool('sh')) ?? '/bin/sh', bwrap: f.bwrap!, setpriv: f.setpriv! };
    this.umountBin = (await findTool('umount')) ?? this.umountBin;
    const s = await stat(f.bwrap!);
    this.bwrapId = { dev: s.dev, ino: s.ino };
    await mkdir(this.mntDir, { recursive: true, mode: 0o711 });
    await chmod(this.mntDir, 0o711);
    const stale = await cleanStale(this.umountBin, this.mntDir);
    if (stale.length) this.log.warn({ mounts: stale }, 'unmounted environments a previous supervisor left mounted');
    if (this.opts.testing?.cgroups) this.envsGroup = this.opts.testing.cgroups;
    if (!this.opts.testing) {
      const self = cgroup2PathOf(await readFile('/proc/self/cgroup', 'utf8')) ?? '/';
      const layout = planLayout(f.cgroup2!, self);
      await applySteps(layout.steps);
      this.envsGroup = layout.envs;
      for (const g of await childGroups(layout.envs)) await killGroup(join(layout.envs, g)); // a previous run's
    }
    this.unhook = this.opts.grid.onStopping((env) => this.stopEnv(env));
  }

  /** Runs `fn` alone among the calls for environment `name`. */
  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(name, tail);
    void tail.then(() => { if (this.locks.get(name) === tail) this.locks.delete(name); });
    return run;
  }

  private isAdmin(user: string): boolean {
    try { return this.opts.grid.catalog.getUser(user).role === 'admin'; } catch { return false; }
  }

  async start(user: string, envName: string, req: ExecRequest): Promise<ExecProcess> {
    if (this.closing) throw closed('executor');
    if (this.unavailable) throw new ColonyError('COLONY_UNSUPPORTED', this.unavailable);
    this.opts.grid.catalog.getUser(user); // COLONY_NOT_FOUND for no such user
    const env = this.opts.grid.running(envName);
    if (!env) throw notFound(`environment ${envName}`);
    const owner = env.owner === user;
    if (!owner && !env.invited.has(user)) throw permission(`${envName} is ${env.owner}'s; only its owner and the users they invited may run processes in it`);
    return this.locked(envName, async () => {
      if (this.closing || this.opts.grid.running(envName) !== env) throw notFound(`environment ${envName}`);
      const st = await this.stateOf(env);
      const account = await this.accountFor(st.fs, user, owner, envName);
      const id = this.nextId++;
      const pathVar = baseEnv(account, owner, req.tty, req.env).PATH!;
      const argv = programOf(account, req);
      const cwd = await this.cwdFor(st.fs, account, req.cwd);
      const prog = await findProgram(st.fs, argv[0]!, pathVar, cwd);
      if (!prog) {
        if (req.argv?.length) throw notFound(`${argv[0]} in ${envName}`);
        return new FailedProcess(id, envName, user, account.uid, `cpu: ${argv[0]}: not found in ${envName}`, !!req.tty);
      }
      const pty = req.tty ? await loadPty() : undefined;
      let leaf: string | undefined;
      if (st.group) {
        leaf = join(st.group, sessionLeafName(id));
        await applySteps([{ op: 'mkdir', path: leaf }]);
      }
      const plan = planLaunch({ tools: this.tools, env: envName, root: st.dir, ...(leaf ? { leaf } : {}), account, owner, argv, cwd, ...(req.tty ? { tty: req.tty } : {}), ...(req.env ? { extraEnv: req.env } : {}) });
      const session = new Session({ id, env: envName, user, uid: account.uid, plan, ...(req.tty ? { tty: req.tty, pty } : {}), ...(leaf ? { leaf } : {}), bwrap: this.bwrapId, log: this.log });
      st.sessions.add(session);
      void session.exited.then(() => st.sessions.delete(session));
      this.log.info({ env: envName, user, session: id, uid: account.uid, tty: !!req.tty }, 'process started');
      return session;
    });
  }

  /** The environment's mount and group, made on its first process (under its lock). */
  private async stateOf(env: Environment): Promise<EnvState> {
    const have = this.states.get(env.name);
    if (have) return have;
    const dir = join(this.mntDir, env.name);
    let fs: EnvFs;
    if (this.opts.testing) {
      const r = await this.opts.testing.root(env);
      fs = r.fs;
      await mkdir(dir, { recursive: true });
      await run(this.facts.mount!, ['--rbind', r.dir, dir], 15_000); // recursive: the test's root has mounts inside
    } else {
      fs = volumeFs(env.volume);
      // bwrap mounts proc, dev and tmp over these; an environment without them gets them as root.
      for (const [p, mode] of [['/proc', 0o555], ['/dev', 0o755], ['/tmp', 0o1777]] as const) await fs.ensureDir(p, mode);
      await mountEnv(this.facts.mount!, { socket: this.opts.socketPath, dir, owner: env.owner, env: env.name, cache: this.opts.cache ?? 'mmap' });
    }
    const st: EnvState = { env, dir, fs, sessions: new Set() };
    if (this.envsGroup) {
      try {
        st.group = join(this.envsGroup, envGroupName(env.name));
        await killGroup(st.group); // a group of that name from an earlier environment
        const steps = planEnvGroup(this.envsGroup, env.name, this.opts.limitsFor(env.owner));
        await applySteps(this.opts.testing ? steps.filter((x) => x.op === 'mkdir') : steps);
      } catch (err) {
        await unmount(this.umountBin, st.dir).catch(() => {});
        throw err;
      }
    }
    this.states.set(env.name, st);
    return st;
  }

  private async accountFor(fs: EnvFs, user: string, owner: boolean, envName: string): Promise<Account> {
    const passwd = (await fs.readText('/etc/passwd')) ?? '';
    const group = (await fs.readText('/etc/group')) ?? '';
    if (owner) return accountOf(passwd, group, { uid: 0 }) ?? FALLBACK_ROOT;
    const a = accountOf(passwd, group, { name: user });
    if (!a) throw permission(`${user} has no account in ${envName}'s /etc/passwd (removed since the invitation?)`);
    if (a.uid === 0) throw permission(`${user}'s account in ${envName} has uid 0; only the owner runs as root`);
    return a;
  }

  private async cwdFor(fs: EnvFs, account: Account, asked: string | undefined): Promise<string> {
    if (asked !== undefined) {
      const r = await resolveIn(fs, asked, account.home);
      if (!r || (await fs.lstat(r))?.kind !== 'dir') throw notFound(`directory ${asked}`);
      return r;
    }
    const home = await resolveIn(fs, account.home);
    return home && (await fs.lstat(home))?.kind === 'dir' ? home : '/';
  }

  /** The grid's stop hook: kill every process, unmount, remove the group. Under the environment's lock. */
  private stopEnv(env: Environment): Promise<void> {
    return this.locked(env.name, async () => {
      const st = this.states.get(env.name);
      if (!st || st.env !== env) return;
      this.states.delete(env.name);
      if (st.group) await killGroup(st.group, DRAIN_MS);
      await Promise.all([...st.sessions].map(async (s) => { await s.killAll(); await s.exited; }));
      await unmount(this.umountBin, st.dir).catch((err) => this.log.error({ env: env.name, err: String(err) }, 'cannot unmount the environment'));
      await rmdir(st.dir).catch(() => {}); // only once unmounted: rmdir never removes a mounted directory's contents
      this.log.info({ env: env.name }, 'environment processes killed and unmounted');
    });
  }

  /** The environments `user` may see processes of: their own and those they were invited into; an admin all. */
  private visible(user: string): EnvState[] {
    const admin = this.isAdmin(user);
    return [...this.states.values()].filter((s) => admin || s.env.owner === user || s.env.invited.has(user));
  }

  async processes(user: string): Promise<ProcessInfo[]> {
    if (this.closing) throw closed('executor');
    this.opts.grid.catalog.getUser(user);
    const out: ProcessInfo[] = [];
    for (const st of this.visible(user)) out.push(...await listProcesses(st.env.name, st.env.owner, [...st.sessions]));
    return out;
  }

  async kill(user: string, envName: string, pid: number, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.closing) throw closed('executor');
    this.opts.grid.catalog.getUser(user);
    const st = this.states.get(envName);
    if (!st) throw notFound(`environment ${envName}`);
    if (!this.visible(user).includes(st)) throw permission(`${envName} is not yours`);
    await signalProcess(envName, [...st.sessions], pid, sig);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unhook?.();
      await Promise.all([...this.states.values()].map((st) => this.stopEnv(st.env)));
    })();
    return this.closing;
  }
}

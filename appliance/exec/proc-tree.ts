// The global /proc tree (attach `proc`): the processes running in environments, as files.
//
//   ENV/PID/status     `key value` lines: name, state, pid, ppid, uid, env, owner, session, rss, node
//   ENV/PID/cmdline    the arguments, each ended by a NUL byte (as Linux's /proc/PID/cmdline)
//   ENV/PID/ctl        write `kill` (SIGKILL) or `kill SIG` (TERM, SIGTERM, 15, …)
//
// With one source (this node alone) the tree starts at ENV; with more than one (peers are
// paired) every source gets a directory first: NODE/ENV/PID/…, whatever the sources are at
// the moment of each walk. `nodeLevel` forces either layout (a client script that wants one
// shape whatever the grid looks like).
//
// One tree serves one user: every list() and kill() names that user, and the source
// filters (ExecService.processes(user): environments the user owns or was invited into; an
// admin sees all). The optional `visible` filter is a second check the tree applies itself.
// Caching, per file: a list() result at most `maxAgeMs` (1 s) old answers walks, getattr,
// directory listings, status and cmdline; concurrent askers share one list() in flight. ctl
// is never cached: every write goes to the source's kill(), which checks again, and then
// drops that source's cached list. A source must bound its own list() (the peer protocol
// answers or fails within 2 s; ExecService reads /proc): askers wait on the one in flight.
//
// Concurrency (backend.ts's contract): clients make no namespace changes here (no create,
// unlink or rename; setattr accepts only a no-op truncate), so everything runs alongside
// everything. The cache is
// replaced whole in one synchronous step; a kill bumps the source's generation so a list()
// already in flight when it ran is not cached as fresh.
import { createHash } from 'node:crypto';
import { ColonyError, invalid, notFound, permission } from '../errors.js';
import type { Attr, Backend, Caller, DirEntry, Handle, Node, SetAttr } from '../ninep/backend.js';
import { DT_DIR, DT_REG, L_O_ACCMODE, L_O_RDONLY, QTDIR, QTFILE, S_IFDIR, S_IFREG } from '../ninep/constants.js';
import { pageEntries } from '../ninep/dir-page.js';
import { withErrno } from '../ninep/errno.js';
import type { Qid } from '../ninep/messages.js';
import { bornNow, refuseOwnerChange, treeAttr } from './tree-attrs.js';
import type { ExecService, ProcessInfo } from './types.js';
import { parseSignal, tokenize } from './xcpu-ctl.js';
import { interrupted } from './xcpu-stream.js';

/** Where processes come from: this node's ExecService, or a paired peer (/colony/proc/1). */
export interface ProcSource {
  readonly node: string;
  list(user: string): Promise<ProcessInfo[]>;
  /** Default SIGKILL. */
  kill(user: string, env: string, pid: number, sig?: NodeJS.Signals): Promise<void>;
}

export interface ProcTreeOptions {
  /** How old a cached list() may be; default 1000 ms. */
  maxAgeMs?: number;
  /** Force NODE/ENV/PID (true) or ENV/PID (false, the first source only); default: NODE level when sources > 1. */
  nodeLevel?: boolean;
  /** A second filter on top of the source's own. */
  visible?: (user: string, p: ProcessInfo) => boolean;
  /** The clock (tests). */
  now?: () => number;
}

export const DEFAULT_MAX_AGE_MS = 1000;

/** This node's processes, straight from its ExecService. */
export const localProcSource = (nodeId: string, exec: ExecService): ProcSource => ({
  node: nodeId,
  list: (user) => exec.processes(user),
  kill: (user, env, pid, sig) => exec.kill(user, env, pid, sig),
});

/** What status reads for one process. */
export function statusText(p: ProcessInfo, node: string): string {
  return [
    `name ${p.name}`, `state ${p.state}`, `pid ${p.pid}`, `ppid ${p.ppid}`, `uid ${p.uid}`, `env ${p.env}`,
    `owner ${p.owner}`, `session ${p.session}`, `rss ${p.rssBytes}`, `node ${node}`,
  ].map((l) => l.replace(/\n/g, ' ')).join('\n') + '\n';
}

/** What cmdline reads: each argument followed by NUL. */
export const cmdlineBytes = (p: ProcessInfo): Buffer => Buffer.from(p.cmdline.map((a) => `${a}\0`).join(''));

/** A name a directory can carry: what a (possibly remote) source sends is checked before use. */
const isPathName = (s: unknown): s is string => typeof s === 'string' && s !== '' && s !== '.' && s !== '..' && !/[/\0]/.test(s) && s.length <= 255;
const sane = (p: ProcessInfo): boolean => isPathName(p.env) && Number.isSafeInteger(p.pid) && p.pid > 0 && Array.isArray(p.cmdline);

type Kind = 'root' | 'node' | 'env' | 'pid' | 'status' | 'cmdline' | 'ctl';
const FILES = ['status', 'cmdline', 'ctl'] as const;
const MODES: Record<Kind, number> = {
  root: S_IFDIR | 0o555, node: S_IFDIR | 0o555, env: S_IFDIR | 0o555, pid: S_IFDIR | 0o555,
  status: S_IFREG | 0o444, cmdline: S_IFREG | 0o444, ctl: S_IFREG | 0o200,
};

class PNode implements Node {
  readonly qid: Qid;
  constructor(readonly kind: Kind, readonly source = '', readonly env = '', readonly pid = 0) {
    // Stable without a table that grows: the same place always hashes to the same path.
    const path = kind === 'root' ? 1 : createHash('sha256').update(`${kind}\0${source}\0${env}\0${pid}`).digest().readUIntBE(0, 6);
    this.qid = { type: MODES[kind] & S_IFDIR ? QTDIR : QTFILE, version: 0, path };
  }
  get isDir(): boolean { return (MODES[this.kind] & S_IFDIR) !== 0; }
}

class PHandle implements Handle {
  readonly iounit = 0;
  snapshot: Buffer | undefined;
  constructor(readonly node: PNode) {}
}

const slice = (b: Buffer, offset: number, count: number): Buffer => b.subarray(Math.min(offset, b.length), Math.min(offset + count, b.length));

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) { reject(interrupted()); return; }
    const onAbort = () => reject(interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class ProcTree implements Backend {
  readonly root = new PNode('root');
  private readonly sources: () => ProcSource[];
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, { at: number; procs: ProcessInfo[] }>();
  private readonly inflight = new Map<string, Promise<ProcessInfo[]>>();
  private readonly generation = new Map<string, number>();
  private readonly born = bornNow();
  /** list() calls made (tests). */
  lists = 0;

  constructor(sources: ProcSource[] | (() => ProcSource[]), readonly user: string, private readonly opts: ProcTreeOptions = {}) {
    this.sources = typeof sources === 'function' ? sources : () => sources;
    this.maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.now = opts.now ?? Date.now;
  }

  private nodeLevel(all: ProcSource[]): boolean { return this.opts.nodeLevel ?? all.length > 1; }

  private source(name: string): ProcSource {
    const s = this.sources().find((x) => x.node === name);
    if (!s) throw notFound(`node ${name}`);
    return s;
  }

  /** The source's processes for this user, at most maxAgeMs old. */
  private async list(src: ProcSource, signal: AbortSignal): Promise<ProcessInfo[]> {
    const t = this.now();
    for (const [k, e] of this.cache) if (t - e.at > this.maxAgeMs) this.cache.delete(k);
    const hit = this.cache.get(src.node);
    if (hit) return hit.procs;
    let p = this.inflight.get(src.node);
    if (!p) {
      const gen = this.generation.get(src.node) ?? 0;
      this.lists++;
      p = src.list(this.user).then((raw) => {
        const vis = this.opts.visible;
        const procs = raw.filter((x) => sane(x) && (!vis || vis(this.user, x)));
        if ((this.generation.get(src.node) ?? 0) === gen) this.cache.set(src.node, { at: t, procs });
        return procs;
      }).finally(() => this.inflight.delete(src.node));
      this.inflight.set(src.node, p);
    }
    return raceAbort(p, signal);
  }

  private async find(c: Caller, n: PNode): Promise<ProcessInfo> {
    const p = (await this.list(this.source(n.source), c.signal)).find((x) => x.env === n.env && x.pid === n.pid);
    if (!p) throw notFound(`process ${n.pid} in ${n.env}`);
    return p;
  }

  /** The names under a directory node, with the nodes they lead to. */
  private async children(c: Caller, d: PNode): Promise<PNode[]> {
    switch (d.kind) {
      case 'root': {
        const all = this.sources().filter((s) => isPathName(s.node));
        if (this.nodeLevel(all)) return all.map((s) => new PNode('node', s.node));
        return all[0] ? this.envs(c, all[0].node) : [];
      }
      case 'node':
        return this.envs(c, d.source);
      case 'env': {
        const pids = (await this.list(this.source(d.source), c.signal)).filter((p) => p.env === d.env).map((p) => p.pid).sort((a, b) => a - b);
        return pids.map((pid) => new PNode('pid', d.source, d.env, pid));
      }
      case 'pid':
        await this.find(c, d);
        return FILES.map((f) => new PNode(f, d.source, d.env, d.pid));
      default:
        throw new ColonyError('COLONY_NOT_DIRECTORY', `${d.kind} is not a directory`);
    }
  }

  private async envs(c: Caller, source: string): Promise<PNode[]> {
    const names = new Set((await this.list(this.source(source), c.signal)).map((p) => p.env));
    return [...names].sort().map((e) => new PNode('env', source, e));
  }

  private nameOf(n: PNode): string {
    return n.kind === 'node' ? n.source : n.kind === 'env' ? n.env : n.kind === 'pid' ? String(n.pid) : n.kind;
  }

  async walk(c: Caller, dir: Node, name: string): Promise<Node> {
    const d = dir as PNode;
    if (!d.isDir) throw new ColonyError('COLONY_NOT_DIRECTORY', `${d.kind} is not a directory`);
    if (name === '..') return this.parent(d);
    const kid = (await this.children(c, d)).find((k) => this.nameOf(k) === name);
    if (!kid) throw notFound(name);
    return kid;
  }

  private parent(d: PNode): PNode {
    switch (d.kind) {
      case 'pid': return new PNode('env', d.source, d.env);
      case 'env': return this.nodeLevel(this.sources()) ? new PNode('node', d.source) : this.root;
      default: return this.root;
    }
  }

  async getattr(c: Caller, node: Node): Promise<Attr> {
    const n = node as PNode;
    // A process that is gone (as of the cache) is gone for stat too, so clients drop it.
    if (n.kind === 'pid' || (FILES as readonly string[]).includes(n.kind)) await this.find(c, n);
    return treeAttr(c, MODES[n.kind], this.born);
  }

  /** Accepts only what `echo kill > ctl` sends first (a truncate, times): nothing here has a size. */
  async setattr(_c: Caller, _node: Node, set: SetAttr): Promise<void> {
    refuseOwnerChange(set, 'proc');
  }

  async open(_c: Caller, node: Node, flags: number): Promise<Handle> {
    const n = node as PNode;
    const reading = (flags & L_O_ACCMODE) === L_O_RDONLY;
    if (n.isDir && !reading) throw new ColonyError('COLONY_IS_DIRECTORY', 'a proc directory cannot be written');
    if (n.kind === 'ctl' && reading) throw withErrno(permission('ctl is write-only'), 'EACCES');
    if ((n.kind === 'status' || n.kind === 'cmdline') && !reading) throw withErrno(permission(`${n.kind} is read-only`), 'EACCES');
    return new PHandle(n);
  }

  async release(_h: Handle): Promise<void> {}

  async read(c: Caller, h: Handle, offset: number, count: number): Promise<Buffer> {
    const ph = h as PHandle;
    const n = ph.node;
    if (n.isDir) throw new ColonyError('COLONY_IS_DIRECTORY', 'is a directory');
    if (offset === 0 || !ph.snapshot) {
      const p = await this.find(c, n);
      ph.snapshot = n.kind === 'status' ? Buffer.from(statusText(p, n.source)) : cmdlineBytes(p);
    }
    return slice(ph.snapshot, offset, count);
  }

  /** ctl: never cached; the source checks the user again. */
  async write(_c: Caller, h: Handle, _offset: number, data: Buffer): Promise<number> {
    const n = (h as PHandle).node;
    if (n.kind !== 'ctl') throw withErrno(permission(`${n.kind} is read-only`), 'EACCES');
    // Every line is checked before any kill is sent.
    const sigs = data.toString('utf8').split('\n').map(tokenize).filter((w) => w.length).map((words) => {
      if (words[0] !== 'kill' || words.length > 2) throw invalid(`proc ctl takes 'kill [SIGNAL]', not ${JSON.stringify(words.join(' '))}`);
      return parseSignal(words[1]);
    });
    const src = this.source(n.source);
    const forget = () => {
      this.generation.set(src.node, (this.generation.get(src.node) ?? 0) + 1);
      this.cache.delete(src.node);
    };
    for (const sig of sigs) {
      forget();
      try { await src.kill(this.user, n.env, n.pid, sig); } finally { forget(); }
    }
    return data.length;
  }

  async readdir(c: Caller, h: Handle, cookie: number, count: number): Promise<DirEntry[]> {
    const d = (h as PHandle).node;
    const kids = await this.children(c, d);
    // Cookies are positions: a listing that changes between calls may skip or repeat.
    return pageEntries([
      { name: '.', qid: d.qid, type: DT_DIR, cookie: 1 },
      { name: '..', qid: this.parent(d).qid, type: DT_DIR, cookie: 2 },
      ...kids.map((k, i) => ({ name: this.nameOf(k), qid: k.qid, type: k.isDir ? DT_DIR : DT_REG, cookie: i + 3 })),
    ], cookie, count);
  }
}

/** The proc tree `user` sees over `sources` (an array, or a function read at each walk as peers come and go). */
export const procTree = (sources: ProcSource[] | (() => ProcSource[]), user: string, opts: ProcTreeOptions = {}): ProcTree => new ProcTree(sources, user, opts);

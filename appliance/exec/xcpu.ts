// The xcpu tree (attach `cpu/NAME`): remote execution as files, in the style of LANL's xcpu.
//
//   clone          open it: a new session N; read it: "N\n"; writes to the same fid act as N/ctl
//   N/ctl          write commands (xcpu-ctl.ts: env, cwd, exec, kill, eof); read: the state
//   N/stdin        writes reach the process's stdin; releasing the last fid open for
//                  writing on it (or `eof` on ctl) closes stdin
//   N/stdout       streaming reads: block until output or EOF (0 bytes); offsets are ignored,
//   N/stderr       each read takes the next bytes, as from a pipe
//   N/wait         blocks until exit, then "STATUS\n" or "STATUS SIGNAME\n" ("137 SIGKILL")
//   N/status       the same text as reading ctl
//
// One tree serves one user in one environment; exec.start(user, env, …) decides who may
// run what. A session lives while its process runs; once it has exited (or was never
// started) and no handle is open on its files, it lingers `lingerMs` and is then removed.
// When the last attachment of the tree ends (see retain()), every session goes and running
// processes are hung up (SIGHUP, then killed by the ExecService).
// A SessionBudget bounds live sessions per user (default 64; more: COLONY_LIMIT, EMFILE);
// share one budget between the trees of all environments so the bound is per user.
//
// Concurrency (backend.ts's contract): there are no namespace changes a client can make
// (no create, unlink or rename; setattr accepts only a no-op truncate or time change), so
// walks, reads and writes run alongside each other. Sessions appear in open (clone) and
// disappear in a timer, each in one synchronous step; a node walked before its session
// went answers ENOENT. Session state is guarded in XcpuSession.
import { ColonyError, closed, notFound, permission } from '../errors.js';
import type { Attr, Backend, Caller, DirEntry, Handle, Node, SetAttr } from '../ninep/backend.js';
import { DT_DIR, DT_REG, L_O_ACCMODE, L_O_RDONLY, QTDIR, QTFILE, S_IFDIR, S_IFREG } from '../ninep/constants.js';
import { pageEntries } from '../ninep/dir-page.js';
import { withErrno } from '../ninep/errno.js';
import type { Qid } from '../ninep/messages.js';
import { bornNow, refuseOwnerChange, treeAttr } from './tree-attrs.js';
import type { ExecService } from './types.js';
import { XcpuSession } from './xcpu-session.js';

export const DEFAULT_MAX_SESSIONS = 64;
export const DEFAULT_LINGER_MS = 60_000;

/** Live xcpu sessions per user, shared by every tree it is given to. */
export class SessionBudget {
  private used = new Map<string, number>();
  constructor(readonly max = DEFAULT_MAX_SESSIONS) {}

  inUse(user: string): number { return this.used.get(user) ?? 0; }

  take(user: string): void {
    const n = this.inUse(user);
    if (n >= this.max) throw new ColonyError('COLONY_LIMIT', `${user} already has ${n} xcpu sessions (the limit)`);
    this.used.set(user, n + 1);
  }

  give(user: string): void {
    const n = this.inUse(user) - 1;
    if (n > 0) this.used.set(user, n); else this.used.delete(user);
  }
}

export interface XcpuOptions {
  budget?: SessionBudget;
  lingerMs?: number;
}

const FILES = ['ctl', 'stdin', 'stdout', 'stderr', 'wait', 'status'] as const;
type FileKind = (typeof FILES)[number];
type Kind = 'root' | 'clone' | 'dir' | FileKind;

const MODES: Record<Kind, number> = {
  root: S_IFDIR | 0o555, dir: S_IFDIR | 0o555, clone: S_IFREG | 0o600, ctl: S_IFREG | 0o600,
  stdin: S_IFREG | 0o200, stdout: S_IFREG | 0o400, stderr: S_IFREG | 0o400, wait: S_IFREG | 0o400, status: S_IFREG | 0o400,
};

class XNode implements Node {
  readonly qid: Qid;
  constructor(readonly kind: Kind, readonly session: number) {
    // Stable and never reused: session numbers only grow. Root 1, clone 2, N/ at 16 + 8N.
    const path = kind === 'root' ? 1 : kind === 'clone' ? 2 : 16 + session * 8 + (kind === 'dir' ? 0 : FILES.indexOf(kind) + 1);
    this.qid = { type: kind === 'root' || kind === 'dir' ? QTDIR : QTFILE, version: 0, path };
  }
}

class XHandle implements Handle {
  readonly iounit = 0;
  snapshot: Buffer | undefined;
  constructor(readonly node: XNode, readonly session: XcpuSession | undefined, readonly stdinWriter: boolean) {}
}

const slice = (b: Buffer, offset: number, count: number): Buffer => b.subarray(Math.min(offset, b.length), Math.min(offset + count, b.length));
const readOnly = (what: string) => withErrno(permission(`${what} cannot be written`), 'EACCES');

export class XcpuTree implements Backend {
  readonly root = new XNode('root', 0);
  private readonly cloneNode = new XNode('clone', 0);
  private readonly sessions = new Map<number, XcpuSession>();
  private readonly reapers = new Map<number, NodeJS.Timeout>();
  private readonly budget: SessionBudget;
  private readonly lingerMs: number;
  private readonly born = bornNow();
  private nextId = 0;
  private isClosed = false;
  private attached = 0;

  constructor(private readonly exec: ExecService, readonly user: string, readonly env: string, opts: XcpuOptions = {}) {
    this.budget = opts.budget ?? new SessionBudget();
    this.lingerMs = opts.lingerMs ?? DEFAULT_LINGER_MS;
  }

  /** Session numbers listed right now (tests). */
  get sessionIds(): number[] { return [...this.sessions.keys()]; }

  private session(n: number): XcpuSession {
    const s = this.sessions.get(n);
    if (!s) throw notFound(`xcpu session ${n}`);
    return s;
  }

  async walk(_c: Caller, dir: Node, name: string): Promise<Node> {
    const d = dir as XNode;
    if (d.kind !== 'root' && d.kind !== 'dir') throw new ColonyError('COLONY_NOT_DIRECTORY', `${d.kind} is not a directory`);
    if (name === '..') return this.root;
    if (d.kind === 'root') {
      if (name === 'clone') return this.cloneNode;
      if (/^(0|[1-9][0-9]{0,14})$/.test(name) && this.sessions.has(Number(name))) return new XNode('dir', Number(name));
      throw notFound(name);
    }
    this.session(d.session);
    if (!(FILES as readonly string[]).includes(name)) throw notFound(name);
    return new XNode(name as FileKind, d.session);
  }

  async getattr(c: Caller, node: Node): Promise<Attr> {
    const n = node as XNode;
    if (n.kind !== 'root' && n.kind !== 'clone') this.session(n.session);
    return treeAttr(c, MODES[n.kind], this.born);
  }

  /** Accepts only what `>` redirection sends (truncate, times); nothing here has a size. */
  async setattr(_c: Caller, _node: Node, set: SetAttr): Promise<void> {
    refuseOwnerChange(set, 'xcpu');
  }

  async open(_c: Caller, node: Node, flags: number): Promise<Handle> {
    const n = node as XNode;
    const acc = flags & L_O_ACCMODE;
    if (n.kind === 'root' || n.kind === 'dir') {
      if (acc !== L_O_RDONLY) throw new ColonyError('COLONY_IS_DIRECTORY', 'an xcpu directory cannot be written');
      if (n.kind === 'dir') this.session(n.session);
      return new XHandle(n, undefined, false);
    }
    if (n.kind === 'clone') return this.openClone(n);
    if (acc === L_O_RDONLY ? n.kind === 'stdin' : n.kind !== 'ctl' && n.kind !== 'stdin') {
      throw n.kind === 'stdin' ? withErrno(permission('stdin is write-only'), 'EACCES') : readOnly(n.kind);
    }
    const s = this.session(n.session);
    this.hold(s);
    const writer = n.kind === 'stdin';
    if (writer) s.stdinWriters++;
    return new XHandle(n, s, writer);
  }

  /** A new session, held by the handle that made it. */
  private openClone(n: XNode): XHandle {
    if (this.isClosed) throw closed('xcpu tree');
    this.budget.take(this.user);
    const s = new XcpuSession(this.nextId++, this.exec, this.user, this.env);
    s.onIdle = () => this.maybeReap(s);
    this.sessions.set(s.id, s);
    this.hold(s);
    return new XHandle(n, s, false);
  }

  private hold(s: XcpuSession): void {
    s.handles++;
    const timer = this.reapers.get(s.id);
    if (timer) { clearTimeout(timer); this.reapers.delete(s.id); }
  }

  async release(h: Handle): Promise<void> {
    const xh = h as XHandle;
    const s = xh.session;
    if (!s) return;
    s.handles--;
    if (xh.stdinWriter && --s.stdinWriters === 0) s.closeStdin();
    this.maybeReap(s);
  }

  private maybeReap(s: XcpuSession): void {
    if (s.handles > 0 || s.state === 'running' || s.state === 'starting' || this.reapers.has(s.id) || !this.sessions.has(s.id)) return;
    const timer = setTimeout(() => {
      this.reapers.delete(s.id);
      if (s.handles > 0 || s.state === 'running' || s.state === 'starting') return;
      this.drop(s);
    }, this.lingerMs);
    timer.unref();
    this.reapers.set(s.id, timer);
  }

  private drop(s: XcpuSession): void {
    if (!this.sessions.delete(s.id)) return;
    const timer = this.reapers.get(s.id);
    if (timer) { clearTimeout(timer); this.reapers.delete(s.id); }
    this.budget.give(this.user);
    s.dispose();
  }

  async read(c: Caller, h: Handle, offset: number, count: number): Promise<Buffer> {
    const xh = h as XHandle;
    const s = xh.session;
    switch (xh.node.kind) {
      case 'root': case 'dir':
        throw new ColonyError('COLONY_IS_DIRECTORY', 'is a directory');
      case 'clone':
        return slice(Buffer.from(`${s!.id}\n`), offset, count);
      case 'ctl': case 'status':
        // One snapshot per fid, refreshed by a read at offset 0, as SynthFs does.
        if (offset === 0 || !xh.snapshot) xh.snapshot = Buffer.from(s!.stateText());
        return slice(xh.snapshot, offset, count);
      case 'stdout': case 'stderr':
        return s!.read(xh.node.kind, count, c.signal);
      case 'wait':
        return slice(Buffer.from(await s!.wait(c.signal)), offset, count);
      case 'stdin':
        throw withErrno(permission('stdin is write-only'), 'EACCES');
    }
  }

  async write(c: Caller, h: Handle, _offset: number, data: Buffer): Promise<number> {
    const xh = h as XHandle;
    const s = xh.session;
    switch (xh.node.kind) {
      case 'clone': case 'ctl':
        await s!.ctl(data.toString('utf8'));
        return data.length;
      case 'stdin':
        await s!.writeStdin(data, c.signal);
        return data.length;
      default:
        throw readOnly(xh.node.kind);
    }
  }

  async readdir(_c: Caller, h: Handle, cookie: number, count: number): Promise<DirEntry[]> {
    const n = (h as XHandle).node;
    const dots: DirEntry[] = [
      { name: '.', qid: n.qid, type: DT_DIR, cookie: 1 },
      { name: '..', qid: this.root.qid, type: DT_DIR, cookie: 2 },
    ];
    if (n.kind === 'root') {
      // Cookies from session numbers: they stay valid while sessions come and go.
      const ids = [...this.sessions.keys()].sort((a, b) => a - b);
      return pageEntries([
        ...dots,
        { name: 'clone', qid: this.cloneNode.qid, type: DT_REG, cookie: 3 },
        ...ids.map((id) => ({ name: String(id), qid: new XNode('dir', id).qid, type: DT_DIR, cookie: id + 4 })),
      ], cookie, count);
    }
    if (n.kind !== 'dir') throw new ColonyError('COLONY_NOT_DIRECTORY', `${n.kind} is not a directory`);
    return pageEntries([...dots, ...FILES.map((f, i) => ({ name: f, qid: new XNode(f, n.session).qid, type: DT_REG, cookie: i + 3 }))], cookie, count);
  }

  /**
   * Counts one attachment; the returned function (for Attachment.detach) uncounts it. When
   * the last one goes (every client of this tree disconnected, or the mount went), every
   * session is dropped: a running process gets hung up, so nothing outlives its clients.
   */
  retain(): () => void {
    this.attached++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.attached > 0) return;
      for (const s of [...this.sessions.values()]) if (s.handles === 0) this.drop(s);
    };
  }

  /** Hangs up every running process and forgets every session (the supervisor stops). */
  close(): void {
    this.isClosed = true;
    for (const t of this.reapers.values()) clearTimeout(t);
    this.reapers.clear();
    for (const s of [...this.sessions.values()]) this.drop(s);
  }
}

/** The xcpu tree of `env` for `user`; serve it at `cpu/NAME` with `root` as the attach root. */
export const xcpuTree = (exec: ExecService, user: string, env: string, opts: XcpuOptions = {}): XcpuTree => new XcpuTree(exec, user, env, opts);

// Synthetic file trees, Plan 9 style: directories of files whose contents are computed
// by functions. A read-file's text is made when a fid first reads at offset 0, so one
// fid sees a consistent snapshot and re-reading from 0 refreshes it. A write is one
// command; its reply is what the same fid reads next (so `ctl` answers the writer only).
// Directories may be fixed or computed per walk (e.g. env/NAME for each environment).
import { ColonyError, notFound, permission } from '../errors.js';
import type { Attr, Backend, Caller, DirEntry, Handle, Node } from './backend.js';
import { DT_DIR, DT_REG, L_O_ACCMODE, L_O_RDONLY, QTDIR, QTFILE, S_IFDIR, S_IFREG } from './constants.js';
import { withErrno } from './errno.js';
import type { Qid } from './messages.js';
import { pageEntries } from './dir-page.js';

type Text = string | Buffer;
type Maybe<T> = T | Promise<T>;

export interface SynthFile {
  kind: 'file';
  mode?: number;
  /** The file's contents for this reader. */
  read?: (c: Caller) => Maybe<Text>;
  /** Runs one written command; what it returns is the reply read back on the same fid. */
  write?: (c: Caller, data: Buffer) => Maybe<Text | void>;
}

export interface SynthDir {
  kind: 'dir';
  mode?: number;
  children: Record<string, SynthEntry> | ((c: Caller) => Maybe<Record<string, SynthEntry>>);
}

export type SynthEntry = SynthFile | SynthDir;

export const synthFile = (spec: Omit<SynthFile, 'kind'>): SynthFile => ({ kind: 'file', ...spec });
export const synthDir = (children: SynthDir['children'], mode?: number): SynthDir => ({ kind: 'dir', children, ...(mode === undefined ? {} : { mode }) });

class SynthNode implements Node {
  constructor(readonly path: string, readonly entry: SynthEntry, readonly qid: Qid) {}
}

class SynthHandle implements Handle {
  readonly iounit = 0;
  /** What reads return: the snapshot, or the last command's reply. */
  content: Buffer | undefined;
  replied = false;
  constructor(readonly node: SynthNode, readonly flags: number) {}
}

const toBuf = (t: Text | void): Buffer => (t === undefined ? Buffer.alloc(0) : Buffer.isBuffer(t) ? t : Buffer.from(t));
const readOnly = () => withErrno(permission('this synthetic file cannot be changed'), 'EROFS');

export class SynthFs implements Backend {
  readonly root: SynthNode;
  /** Handles open right now (tests check nothing leaks). */
  openHandles = 0;
  private paths = new Map<string, number>();
  private readonly created = { sec: Math.floor(Date.now() / 1000), nsec: 0 };

  constructor(root: SynthDir, private owner: { uid: number; gid: number } = { uid: 0, gid: 0 }) {
    this.root = this.node('', root);
  }

  /** Same path, same qid.path: computed directories hand out fresh entries every walk. */
  private node(path: string, entry: SynthEntry): SynthNode {
    let id = this.paths.get(path);
    if (id === undefined) { id = this.paths.size + 1; this.paths.set(path, id); }
    return new SynthNode(path, entry, { type: entry.kind === 'dir' ? QTDIR : QTFILE, version: 0, path: id });
  }

  private async children(c: Caller, n: SynthNode): Promise<Record<string, SynthEntry>> {
    if (n.entry.kind !== 'dir') throw new ColonyError('COLONY_NOT_DIRECTORY', `${n.path || '/'} is not a directory`);
    const ch = n.entry.children;
    return typeof ch === 'function' ? await ch(c) : ch;
  }

  async walk(c: Caller, dir: Node, name: string): Promise<Node> {
    const d = dir as SynthNode;
    if (name === '..') {
      const up = d.path.split('/').slice(0, -1);
      let n = this.root;
      for (const part of up.filter(Boolean)) n = (await this.walk(c, n, part)) as SynthNode;
      return n;
    }
    const kids = await this.children(c, d);
    if (!Object.prototype.hasOwnProperty.call(kids, name)) throw notFound(name);
    return this.node(`${d.path}/${name}`, kids[name]!);
  }

  async getattr(_c: Caller, node: Node): Promise<Attr> {
    const e = (node as SynthNode).entry;
    const dir = e.kind === 'dir';
    const perm = e.mode ?? (dir ? 0o555 : (e.read ? 0o444 : 0) | (e.write ? 0o220 : 0));
    return {
      mode: (dir ? S_IFDIR : S_IFREG) | perm, uid: this.owner.uid, gid: this.owner.gid, nlink: 1, rdev: 0, size: 0,
      blksize: 4096, blocks: 0, atime: this.created, mtime: this.created, ctime: this.created,
    };
  }

  async open(_c: Caller, node: Node, flags: number): Promise<Handle> {
    const n = node as SynthNode;
    const acc = flags & L_O_ACCMODE;
    if (n.entry.kind === 'dir') {
      if (acc !== L_O_RDONLY) throw new ColonyError('COLONY_IS_DIRECTORY', `${n.path || '/'} is a directory`);
    } else {
      if (acc !== L_O_RDONLY && !n.entry.write) throw readOnly();
      if (acc !== 1 && !n.entry.read && !n.entry.write) throw permission(`${n.path} cannot be read`);
    }
    this.openHandles++;
    return new SynthHandle(n, flags);
  }

  async release(_h: Handle): Promise<void> { this.openHandles--; }

  async read(c: Caller, h: Handle, offset: number, count: number): Promise<Buffer> {
    const sh = h as SynthHandle;
    const e = sh.node.entry;
    if (e.kind === 'dir') throw new ColonyError('COLONY_IS_DIRECTORY', 'is a directory');
    if (!sh.replied && (offset === 0 || sh.content === undefined)) sh.content = e.read ? toBuf(await e.read(c)) : Buffer.alloc(0);
    const content = sh.content ?? Buffer.alloc(0);
    return content.subarray(Math.min(offset, content.length), Math.min(offset + count, content.length));
  }

  async write(c: Caller, h: Handle, _offset: number, data: Buffer): Promise<number> {
    const sh = h as SynthHandle;
    const e = sh.node.entry;
    if (e.kind !== 'file' || !e.write) throw readOnly();
    try {
      sh.content = toBuf(await e.write(c, data));
    } catch (err) {
      // A failed command fails the write (every client sees it); the same fid then reads its message.
      sh.content = Buffer.from(`error: ${err instanceof ColonyError ? err.detail : String(err)}\n`);
      sh.replied = true;
      throw err;
    }
    sh.replied = true;
    return data.length;
  }

  async readdir(c: Caller, h: Handle, cookie: number, count: number): Promise<DirEntry[]> {
    const d = (h as SynthHandle).node;
    const kids = Object.entries(await this.children(c, d));
    // Cookies are positions: computed directories have no better stable identity. A
    // listing that changes between calls may skip or repeat, as with Plan 9's own.
    const all: DirEntry[] = [
      { name: '.', qid: d.qid, type: DT_DIR, cookie: 1 },
      { name: '..', qid: this.root.qid, type: DT_DIR, cookie: 2 },
      ...kids.map(([name, e], i) => ({ name, qid: this.node(`${d.path}/${name}`, e).qid, type: e.kind === 'dir' ? DT_DIR : DT_REG, cookie: i + 3 })),
    ];
    return pageEntries(all, cookie, count);
  }
}

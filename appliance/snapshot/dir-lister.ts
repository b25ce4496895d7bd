// Lists a tree's directories (readdir, then lstat of every entry) in a worker thread, in
// the order the directory import's scan enters them: depth-first, each directory's
// subdirectories in readdir order. A re-import of an unchanged tree is nothing but these
// calls; on the main thread they and the BigIntStats they allocate were about half its
// time. The worker runs a few batches ahead of the scan (credits bound the memory) and
// hands each batch over as three transferred buffers: names, their ends, and ten 64-bit
// stat fields per entry, so the scan allocates no stats object per file.
//
// The worker is plain JavaScript given as a string (as small-reader.ts), so it runs the
// same from TypeScript sources and from the build.
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

const SLASH = Buffer.from('/');

/** The stat fields of an entry, in this order: the first five are the cache's fingerprint. */
export const ST_DEV = 0, ST_INO = 1, ST_SIZE = 2, ST_MTIME = 3, ST_CTIME = 4, ST_MODE = 5, ST_NLINK = 6, ST_UID = 7, ST_GID = 8, ST_RDEV = 9;
export const ST_FIELDS = 10;
/** Entries per batch (a wider directory comes whole) and batches listed ahead of the scan. */
const BATCH_ENTRIES = 1024;
const AHEAD = 2;

const CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const SLASH = Buffer.from('/');
const stack = [Buffer.from(workerData.top)];
let credit = 0;
parentPort.on('message', (n) => {
  credit += n;
  while (credit > 0 && stack.length > 0) { credit--; batch(); }
});
let st = new BigInt64Array(${BATCH_ENTRIES * ST_FIELDS});
function batch() {
  const names = [], counts = [];
  let entries = 0, error = null;
  while (stack.length > 0 && entries < ${BATCH_ENTRIES}) {
    const dir = stack.pop();
    const mark = names.length;
    try {
      const list = fs.readdirSync(dir, { encoding: 'buffer' });
      const base = dir[dir.length - 1] === 0x2f ? dir : Buffer.concat([dir, SLASH]);
      const subdirs = [];
      if ((mark + list.length) * ${ST_FIELDS} > st.length) {
        const wider = new BigInt64Array((mark + list.length) * ${ST_FIELDS});
        wider.set(st.subarray(0, mark * ${ST_FIELDS}));
        st = wider;
      }
      for (const name of list) {
        const path = Buffer.concat([base, name]);
        const s = fs.lstatSync(path, { bigint: true });
        let at = names.length * ${ST_FIELDS};
        names.push(name);
        st[at++] = s.dev; st[at++] = s.ino; st[at++] = s.size; st[at++] = s.mtimeNs; st[at++] = s.ctimeNs;
        st[at++] = s.mode; st[at++] = s.nlink; st[at++] = s.uid; st[at++] = s.gid; st[at] = s.rdev;
        if ((s.mode & 0o170000n) === 0o040000n) subdirs.push(path);
      }
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
      counts.push(list.length);
      entries += list.length;
    } catch (err) {
      names.length = mark;
      error = { message: err.message, code: err.code, errno: err.errno, syscall: err.syscall, path: err.path === undefined ? dir.toString() : String(err.path) };
      stack.length = 0;
    }
  }
  const ends = new Uint32Array(names.length);
  let at = 0;
  names.forEach((n, i) => { at += n.length; ends[i] = at; });
  const bytes = Buffer.concat(names);
  const stats = st.slice(0, names.length * ${ST_FIELDS});
  const dirs = Uint32Array.from(counts);
  const out = { names: bytes.buffer, offset: bytes.byteOffset, ends, stats, dirs, error, done: stack.length === 0 };
  parentPort.postMessage(out, bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer, ends.buffer, stats.buffer, dirs.buffer] : [ends.buffer, stats.buffer, dirs.buffer]);
}
`;

/**
 * One directory's entries, indices `first` to `first + count` of its batch: entry `i`'s name
 * is `names.subarray(nameStart(l, i), ends[i])`, its stat fields start at `i * ST_FIELDS`.
 */
export interface Listing { names: Buffer; ends: Uint32Array; stats: BigInt64Array; first: number; count: number }

interface Batch { names: Buffer; ends: Uint32Array; stats: BigInt64Array; dirs: Uint32Array; error: ListError | null; done: boolean }
interface ListError { message: string; code?: string; errno?: number; syscall?: string; path: string }

export const nameStart = (l: Listing, i: number): number => (i === 0 ? 0 : l.ends[i - 1]!);

export class DirLister {
  private readonly worker: Worker;
  private readonly batches: Batch[] = [];
  private waiting: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private failed: Error | undefined;
  private current: Batch | undefined;
  private dir = 0;
  private entry = 0;

  /** Starts listing at `top` (absolute) at once: the worker boots while the caller does other work. */
  constructor(top: Buffer) {
    // Small heap limits: the lstat results are garbage at once, and a worker with the
    // defaults added 45 MiB to the peak RSS of a 150,000-entry import (against 9 MiB for
    // the worker itself). A worker that runs out anyway is not an error: see `next`.
    this.worker = new Worker(CODE, { eval: true, workerData: { top }, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 } });
    this.worker.unref(); // an import that throws must not keep the process alive
    this.worker.on('message', (m: Omit<Batch, 'names'> & { names: ArrayBuffer; offset: number }) => {
      this.batches.push({ ...m, names: Buffer.from(m.names, m.offset, m.ends.length ? m.ends[m.ends.length - 1] : 0) });
      this.wake();
    });
    const fail = (err: Error) => { this.failed ??= err; this.wake(); };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the directory lister stopped')));
    this.worker.postMessage(AHEAD);
  }

  /**
   * The next directory in scan order, which the caller names as `dir`. Throws the system
   * error (with its path) of a directory or entry that could not be listed, when the scan
   * reaches it. Once the worker has stopped (out of memory, say), what it did not list is
   * listed here, on this thread.
   */
  async next(dir: Buffer): Promise<Listing> {
    for (;;) {
      const b = this.current;
      if (b && this.dir < b.dirs.length) {
        const count = b.dirs[this.dir++]!;
        const first = this.entry;
        this.entry += count;
        return { names: b.names, ends: b.ends, stats: b.stats, first, count };
      }
      if (b?.error) throw Object.assign(new Error(b.error.message), b.error);
      if (b?.done) throw new Error('the directory lister has no more directories');
      const got = this.batches.shift();
      if (got) {
        this.current = got;
        this.dir = 0;
        this.entry = 0;
        if (!got.done && !got.error) this.worker.postMessage(1);
        continue;
      }
      if (this.failed) return listSync(dir);
      await new Promise<void>((resolve, reject) => { this.waiting = { resolve, reject }; });
    }
  }

  close(): Promise<number> {
    this.worker.removeAllListeners('exit');
    return this.worker.terminate();
  }

  /** Stops the worker as if it had failed (tests). */
  async stopWorker(): Promise<void> { await this.worker.terminate(); }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve();
  }
}

/** The worker's listing of one directory, on this thread. */
function listSync(dir: Buffer): Listing {
  const list = fs.readdirSync(dir, { encoding: 'buffer' });
  const base = dir.at(-1) === 0x2f ? dir : Buffer.concat([dir, SLASH]);
  const stats = new BigInt64Array(list.length * ST_FIELDS);
  const ends = new Uint32Array(list.length);
  let end = 0;
  list.forEach((name, i) => {
    const s = fs.lstatSync(Buffer.concat([base, name]), { bigint: true });
    stats.set([s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs, s.mode, s.nlink, s.uid, s.gid, s.rdev], i * ST_FIELDS);
    ends[i] = end += name.length;
  });
  return { names: Buffer.concat(list), ends, stats, first: 0, count: list.length };
}

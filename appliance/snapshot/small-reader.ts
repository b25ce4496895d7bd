// Reads small files whole in a worker thread, a batch per message. Through the thread
// pool a small file costs three round trips (open, read, close), each a hand-off to a pool
// thread and a wake-up of the event loop: measured as the largest item of the import's
// main-thread profile (about 60 µs a file on a 2-core VM, against a few µs for the three
// system calls themselves). The worker makes the calls synchronously in its own thread and
// hands the bytes back by transfer, so the main thread is left the hashing and the tree.
//
// The worker is plain JavaScript given as a string, so it runs the same from TypeScript
// sources and from the build.
import { Worker } from 'node:worker_threads';

/** The largest file read whole: anything bigger goes through the streaming path. */
export const SMALL_MAX = 256 * 1024;
/** Files and bytes per message: bounds what one batch holds in memory. */
const BATCH_FILES = 128;
const BATCH_BYTES = 4 * 1024 * 1024;

const CODE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', ({ id, paths, sizes }) => {
  const out = [];
  const transfer = [];
  for (let i = 0; i < paths.length; i++) {
    let fd;
    try {
      fd = fs.openSync(paths[i], 'r');
      // One byte past the size seen by lstat: a file that filled it grew, and is read again by the caller.
      const buf = Buffer.allocUnsafeSlow(sizes[i] + 1);
      let n = 0;
      for (;;) { const r = fs.readSync(fd, buf, n, buf.length - n, null); n += r; if (r === 0 || n === buf.length) break; }
      out.push(n === buf.length ? null : { bytes: buf.buffer, length: n });
      transfer.push(buf.buffer);
    } catch {
      out.push(null); // the caller reads it again and reports the error itself
    } finally {
      if (fd !== undefined) try { fs.closeSync(fd); } catch {}
    }
  }
  parentPort.postMessage({ id, out }, transfer);
});
`;

/** A file's bytes, or null when the caller must read it itself (it grew, or a call failed). */
export type SmallRead = Buffer | null;

export class SmallReader {
  private worker: Worker | undefined;
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (out: SmallRead[]) => void; reject: (err: Error) => void }>();

  /** Splits `sizes` (the lstat sizes, each ≤ SMALL_MAX) into batches: index ranges [from, to). */
  static batches(sizes: number[]): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let from = 0; from < sizes.length;) {
      let to = from;
      let bytes = 0;
      while (to < sizes.length && to - from < BATCH_FILES && (to === from || bytes + sizes[to]! <= BATCH_BYTES)) bytes += sizes[to++]!;
      out.push([from, to]);
      from = to;
    }
    return out;
  }

  read(paths: Buffer[], sizes: number[]): Promise<SmallRead[]> {
    const w = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, paths, sizes });
    });
  }

  close(): Promise<unknown> | undefined {
    const w = this.worker;
    this.worker = undefined;
    return w?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(CODE, { eval: true });
    w.unref(); // an import that throws must not keep the process alive
    w.on('message', ({ id, out }: { id: number; out: Array<{ bytes: ArrayBuffer; length: number } | null> }) => {
      const p = this.waiting.get(id);
      this.waiting.delete(id);
      p?.resolve(out.map((o) => (o ? Buffer.from(o.bytes, 0, o.length) : null)));
    });
    const fail = (err: Error) => {
      for (const p of this.waiting.values()) p.reject(err);
      this.waiting.clear();
      if (this.worker === w) this.worker = undefined;
    };
    w.on('error', fail);
    w.on('exit', () => fail(new Error('the small-file reader stopped')));
    this.worker = w;
    return w;
  }
}

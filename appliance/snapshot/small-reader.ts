// The import's worker threads: they read small files whole, a batch per message, and hash
// and compress file content, so the main thread is left the tree, the store's index and
// its writes.
//
// Reading: through the thread pool a small file costs three round trips (open, read,
// close), each a hand-off to a pool thread and a wake-up of the event loop: measured as
// the largest item of the import's main-thread profile (about 60 µs a file on a 2-core VM,
// against a few µs for the three system calls themselves). A worker makes the calls
// synchronously in its own thread and hands the bytes back by transfer.
//
// Encoding: BLAKE3 and the block codec on the main thread were most of its CPU in
// bench/import (deflate alone 1.8 s of 2.8 s), one core's work while the other idled. A
// worker hashes each leaf and encodes it with the store's own codec.ts and hash.ts, so the
// score and the stored bytes are what `put` would have made; the store takes them by
// `putEncoded`. Leaves of large files come from shared buffers, so nothing is copied.
//
// The worker is plain JavaScript given as a string, so it runs the same from TypeScript
// sources and from the build; from sources it loads codec.ts and hash.ts through tsx's
// require hook (resolved with createRequire: import.meta.resolve waits forever on the
// loader thread under a test's module mocks).
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { internal } from '../errors.js';
import type { Score } from '../store/index.js';

/** The largest file read whole: anything bigger goes through the streaming path. */
export const SMALL_MAX = 256 * 1024;
/** Files and bytes per message: bounds what one batch holds in memory. */
const BATCH_FILES = 128;
const BATCH_BYTES = 4 * 1024 * 1024;
/** Workers: one per core (the main thread waits on them and on the disk most of the time), at most 4. */
export const WORKERS = Math.max(1, Math.min(4, availableParallelism()));

const CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
let tools;
// The store's codec and hash modules, loaded at the first encoding request.
const load = () => (tools ??= (async () => {
  const tsx = workerData.tsx && require(workerData.tsx);
  const get = (m) => (tsx ? tsx.require(m, m) : import(m));
  const codec = await get(workerData.codec);
  const { hash } = await (await get(workerData.hash)).loadHash();
  return { codec, hash };
})());
let zeros = Buffer.alloc(0);
let local = Buffer.alloc(0);
// The leaves of bytes[0, length): for each, -1 (all zero: the caller's zero score) or the
// flags; the scores and the compressed records packed into one transferable buffer each.
function encode(t, bytes, length, blockSize, codec) {
  if (zeros.length < blockSize) zeros = Buffer.alloc(blockSize);
  const n = Math.ceil(length / blockSize);
  const scores = Buffer.allocUnsafeSlow(32 * n);
  const flags = [], at = [], len = [], outs = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const leaf = bytes.subarray(i * blockSize, Math.min((i + 1) * blockSize, length));
    if (leaf.equals(zeros.subarray(0, leaf.length))) { flags.push(-1); at.push(0); len.push(0); continue; }
    t.hash(leaf).copy(scores, 32 * i);
    const e = t.codec.encodeBlock(codec, leaf);
    flags.push(e.flags);
    at.push(total);
    len.push(e.flags === 0 ? 0 : e.stored.length);
    if (e.flags !== 0) { outs.push(e.stored); total += e.stored.length; }
  }
  const packed = Buffer.allocUnsafeSlow(total);
  let o = 0;
  for (const s of outs) { packed.set(s, o); o += s.length; }
  return { scores: scores.buffer, flags, at, len, packed: packed.buffer };
}
async function read({ paths, sizes, enc }) {
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
      if (n === buf.length) { out.push(null); continue; }
      const got = { bytes: buf.buffer, length: n };
      transfer.push(buf.buffer);
      if (enc && n > enc.inlineMax) {
        got.leaves = encode(await load(), buf, n, enc.blockSize, enc.codec);
        transfer.push(got.leaves.scores, got.leaves.packed);
      }
      out.push(got);
    } catch {
      out.push(null); // the caller reads it again and reports the error itself
    } finally {
      if (fd !== undefined) try { fs.closeSync(fd); } catch {}
    }
  }
  return { out, transfer };
}
parentPort.on('message', async (msg) => {
  if (msg.op === 'exit') process.exit(msg.code); // tests: a worker that dies
  if (msg.op === 'load') { load().catch(() => {}); return; } // a failure is reported to the first request that needs it
  try {
    if (msg.op === 'read') {
      const { out, transfer } = await read(msg);
      parentPort.postMessage({ id: msg.id, out }, transfer);
    } else {
      const t = await load();
      // A copy of our own: the native BLAKE3 addon crashes the process on shared memory.
      // Copied after the await, so no other message's copy can come between it and the encode.
      if (local.length < msg.length) local = Buffer.allocUnsafeSlow(msg.length);
      local.set(new Uint8Array(msg.buf, msg.offset, msg.length));
      const leaves = encode(t, local, msg.length, msg.blockSize, msg.codec);
      parentPort.postMessage({ id: msg.id, leaves }, [leaves.scores, leaves.packed]);
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: String(err && err.stack || err) });
  }
});
`;

/** What the worker made of a leaf: null for all zeros, else its score and the bytes to store (undefined: the leaf itself, flags 0). */
export type EncodedLeaf = { score: Score; flags: number; stored: Buffer | undefined } | null;
/** A small file's bytes, with its leaves when they were encoded; null when the caller must read it itself (it grew, or a call failed). */
export type SmallRead = (Buffer & { leaves?: EncodedLeaf[] }) | null;
/** How leaves are encoded: the store's block size and codec; files up to `inlineMax` are not encoded (they are inlined). */
export interface Encoding { blockSize: number; codec: number; inlineMax: number }

interface Packed { scores: ArrayBuffer; flags: number[]; at: number[]; len: number[]; packed: ArrayBuffer }
type Reply = { id: number; error?: string; out?: Array<{ bytes: ArrayBuffer; length: number; leaves?: Packed } | null>; leaves?: Packed };
type Waiting = { resolve: (reply: Reply) => void; reject: (err: Error) => void };

function unpack(p: Packed): EncodedLeaf[] {
  return p.flags.map((flags, i) => {
    if (flags < 0) return null;
    const stored = flags === 0 ? undefined : Buffer.from(p.packed, p.at[i]!, p.len[i]!);
    return { score: Buffer.from(p.scores, 32 * i, 32), flags, stored };
  });
}

/** A few workers; each request goes to the one with the least outstanding. A worker that dies fails the requests it held, and the ones after. */
export class SmallReader {
  private readonly workers: Array<{ w: Worker; waiting: Map<number, Waiting> }> = [];
  private next = 0;
  private failed: Error | undefined;

  constructor(private readonly size = WORKERS) {}

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

  /** Reads the files whole; with `enc`, also encodes the leaves of those over `enc.inlineMax`. */
  async read(paths: Buffer[], sizes: number[], enc?: Encoding): Promise<SmallRead[]> {
    const { out } = await this.ask({ op: 'read', paths, sizes, enc });
    return out!.map((o) => {
      if (!o) return null;
      const b: SmallRead = Buffer.from(o.bytes, 0, o.length);
      if (o.leaves) b.leaves = unpack(o.leaves);
      return b;
    });
  }

  /** Hashes and encodes the leaves of `buf[0, length)`; `buf` must be backed by a SharedArrayBuffer. */
  async encode(buf: Buffer, length: number, enc: Encoding): Promise<EncodedLeaf[]> {
    if (!(buf.buffer instanceof SharedArrayBuffer)) throw internal('encode: the buffer is not shared');
    const { leaves } = await this.ask({ op: 'encode', buf: buf.buffer, offset: buf.byteOffset, length, blockSize: enc.blockSize, codec: enc.codec });
    return unpack(leaves!);
  }

  /** Starts every worker and has it load the codec and hash now, while the import scans, rather than at its first leaf. */
  warm(): void {
    // From sources each worker's load brings in tsx (about 50 MiB a worker, measured): there
    // it waits for the first leaf, so an import of empty files never pays it.
    if (import.meta.url.endsWith('.ts')) return;
    while (this.workers.length < this.size) this.start().w.postMessage({ op: 'load' });
  }

  /** Tests: makes one worker exit as if it had crashed. */
  crashForTest(code = 3): void { this.pick().w.postMessage({ op: 'exit', code }); }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map(({ w }) => w.terminate()));
  }

  private async ask(msg: object): Promise<Reply> {
    if (this.failed) throw this.failed;
    const slot = this.pick();
    const id = this.next++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      slot.w.ref(); // a request keeps the process alive (its reply, or the worker's death, settles it)
      slot.w.postMessage({ ...msg, id });
    });
    if (reply.error) throw internal(`an import worker thread failed: ${reply.error}`);
    return reply;
  }

  private pick(): { w: Worker; waiting: Map<number, Waiting> } {
    if (this.workers.length < this.size) return this.start();
    return this.workers.reduce((a, b) => (b.waiting.size < a.waiting.size ? b : a));
  }

  private start(): { w: Worker; waiting: Map<number, Waiting> } {
    const fromSources = import.meta.url.endsWith('.ts');
    const module = (name: string) => new URL(`../store/${name}${fromSources ? '.ts' : '.js'}`, import.meta.url);
    // From sources, tsx's require hook: half the start-up of its ESM loader, which would
    // start a loader thread in every worker.
    const workerData = fromSources
      ? { tsx: createRequire(import.meta.url).resolve('tsx/cjs/api'), codec: fileURLToPath(module('codec')), hash: fileURLToPath(module('hash')) }
      : { codec: module('codec').href, hash: module('hash').href };
    const w = new Worker(CODE, { eval: true, workerData });
    w.unref(); // an idle worker (an import that threw) must not keep the process alive
    const slot = { w, waiting: new Map<number, Waiting>() };
    w.on('message', (reply: Reply) => {
      const p = slot.waiting.get(reply.id);
      slot.waiting.delete(reply.id);
      if (slot.waiting.size === 0) w.unref();
      p?.resolve(reply);
    });
    const fail = (err: Error) => {
      const i = this.workers.indexOf(slot);
      if (i < 0) return; // closed
      this.workers.splice(i, 1);
      this.failed ??= err;
      for (const p of slot.waiting.values()) p.reject(err);
      slot.waiting.clear();
    };
    w.on('error', (err) => fail(internal(`an import worker thread failed: ${err.message}`)));
    w.on('exit', (code) => fail(internal(`an import worker thread stopped (exit code ${code})`)));
    this.workers.push(slot);
    return slot;
  }
}

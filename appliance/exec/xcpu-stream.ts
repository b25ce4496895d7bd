// Blocking, abortable reads over a process's output streams, for 9P reads of N/stdout and
// N/stderr. A read returns what is buffered now (up to `count`), or waits until something
// arrives or the stream ends (then an empty buffer: EOF), or until the caller's signal fires
// (Tflush, disconnect: EINTR). Memory stays bounded: the stream is pulled (paused mode,
// stream.read()) only when a 9P read asks, so when nobody reads, the Readable stops at its
// highWaterMark, the pipe fills and the process blocks on write: backpressure reaches the
// process, not the supervisor's heap. At most one chunk is held aside (`rest`).
//
// Concurrency: any number of reads may wait at once; each takes its bytes synchronously
// once woken, so no two reads get the same bytes. Who gets what among concurrent readers
// of one stream is unspecified, as with two readers of one pipe.
import type { Readable } from 'node:stream';
import { ColonyError } from '../errors.js';
import { withErrno } from '../ninep/errno.js';

export const interrupted = (): ColonyError => withErrno(new ColonyError('COLONY_IO', 'interrupted'), 'EINTR');

/** A set of waiters woken together: wait() settles on the next wake() or rejects on abort. */
export class Wakeup {
  private waiters = new Set<() => void>();

  get waiting(): number { return this.waiters.size; }

  wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) { reject(interrupted()); return; }
      const onAbort = () => { this.waiters.delete(done); reject(interrupted()); };
      const done = () => { signal.removeEventListener('abort', onAbort); resolve(); };
      this.waiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export class StreamPull {
  private rest: Buffer | undefined;
  private ended = false;
  private readonly wakeup = new Wakeup();

  constructor(private readonly stream: Readable | undefined) {
    if (!stream) { this.ended = true; return; }
    const wake = () => this.wakeup.wake();
    const end = () => { this.ended = true; wake(); };
    // A 'readable' listener puts the stream in paused mode: nothing flows until read().
    stream.on('readable', wake);
    stream.on('end', end);
    stream.on('close', end);
    // A broken pipe ends the stream for its readers; the exit status tells what happened.
    stream.on('error', end);
  }

  /** Readers waiting right now (tests). */
  get waiting(): number { return this.wakeup.waiting; }

  /** Up to `count` bytes, waiting for some; empty at the end of the stream. */
  async read(count: number, signal: AbortSignal): Promise<Buffer> {
    if (count <= 0) return Buffer.alloc(0);
    // Each round waits for an event of the stream (data, end, close) or the abort.
    for (;;) {
      const got = this.take(count);
      if (got) return got;
      if (this.ended) return Buffer.alloc(0);
      await this.wakeup.wait(signal);
    }
  }

  /** Stops reading and lets the stream's resources go (the session is reaped). */
  destroy(): void {
    this.rest = undefined;
    this.ended = true;
    this.stream?.destroy();
    this.wakeup.wake();
  }

  private take(count: number): Buffer | undefined {
    let chunk = this.rest;
    this.rest = undefined;
    if (!chunk?.length && this.stream && !this.stream.destroyed) {
      const r: unknown = this.stream.read();
      chunk = r === null ? undefined : Buffer.isBuffer(r) ? r : Buffer.from(String(r));
    }
    if (!chunk?.length) return undefined;
    if (chunk.length > count) { this.rest = chunk.subarray(count); return chunk.subarray(0, count); }
    return chunk;
  }
}

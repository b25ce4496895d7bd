// Colony's view of one libp2p stream: bytes in, bytes out, with backpressure both ways.
// The rest of Colony sees only this, so a libp2p API change stays inside appliance/peer/.
//
// Reading: libp2p's own iterator queues every received chunk without bound (yamux grants
// window as data arrives, not as it is read), so a reader that stops to fsync let the
// sender push a whole batch into our memory. This iterator pauses the stream once
// `READ_HIGH_WATER` unread bytes are queued here and resumes it below half of that: while
// paused yamux sends no window updates, so the remote stops after at most one receive
// window (node.ts caps it, YAMUX_MAX_WINDOW) more, held in libp2p's read buffer.
//
// Concurrency: one reader (the async iterator) and one writer at a time; write() resolves
// when the chunk is queued below the muxer's high-water mark, so a writer that awaits
// each write never buffers more than that. end() half-closes: the remote's iterator ends,
// ours keeps reading until the remote ends too.
import type { Stream } from '@libp2p/interface';

/** Unread bytes queued here past which the stream is paused (resumed below half). */
export const READ_HIGH_WATER = 1 << 20;

export interface PeerStream extends AsyncIterable<Uint8Array> {
  /** The remote node's peer id. */
  readonly remotePeer: string;
  /** The protocol id both sides agreed on, e.g. "/colony/blocks/1". */
  readonly protocol: string;
  write(chunk: Uint8Array): Promise<void>;
  /** No more writes from this side; resolves when what was written has been sent. */
  end(): Promise<void>;
  /** Resets the stream at once (both directions); pending reads and writes fail. */
  abort(err: Error): void;
}

/** What readPaced needs of a libp2p stream (tests pass a fake). */
export type ReadableSource = Pick<Stream, 'readStatus' | 'pause' | 'resume' | 'addEventListener' | 'removeEventListener'>;

/**
 * The stream's chunks in order, with at most about `highWater` bytes queued here: the
 * stream is paused at `highWater` and resumed when the queue falls below half. Ends when
 * the remote closes its writing end (after the queued chunks), throws the close error.
 */
export async function* readPaced(stream: ReadableSource, highWater = READ_HIGH_WATER): AsyncGenerator<Uint8Array> {
  if (stream.readStatus !== 'readable' && stream.readStatus !== 'paused') return;
  const queue: Uint8Array[] = [];
  let queued = 0;
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = () => { const w = wake; wake = undefined; w?.(); };
  const onMessage = (evt: { data: Uint8Array | { subarray(): Uint8Array } }) => {
    // libp2p may hand over a list of buffers; subarray() joins them (no copy for one).
    const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
    queue.push(chunk);
    queued += chunk.byteLength;
    if (queued >= highWater && stream.readStatus === 'readable') stream.pause();
    poke();
  };
  const onClose = (evt: Event) => { failure = (evt as Event & { error?: Error }).error; done = true; poke(); };
  const onRemoteCloseWrite = () => { done = true; poke(); };
  stream.addEventListener('message', onMessage as never);
  stream.addEventListener('close', onClose as never);
  stream.addEventListener('remoteCloseWrite', onRemoteCloseWrite);
  try {
    // Each round yields one chunk or waits for one; the stream's end or close ends it.
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        queued -= chunk.byteLength;
        // Resuming dispatches what libp2p held meanwhile (onMessage may pause again).
        if (queued < highWater / 2 && stream.readStatus === 'paused') stream.resume();
        yield chunk;
        continue;
      }
      if (stream.readStatus === 'paused') { stream.resume(); continue; }
      if (done) { if (failure) throw failure; return; }
      await new Promise<void>((resolve) => { wake = resolve; });
    }
  } finally {
    stream.removeEventListener('message', onMessage as never);
    stream.removeEventListener('close', onClose as never);
    stream.removeEventListener('remoteCloseWrite', onRemoteCloseWrite);
  }
}

export function wrapStream(stream: Stream, remotePeer: string): PeerStream {
  return {
    remotePeer,
    protocol: stream.protocol,
    async write(chunk) {
      if (!stream.send(chunk)) await stream.onDrain();
    },
    async end() {
      await stream.close();
    },
    abort(err) {
      stream.abort(err);
    },
    [Symbol.asyncIterator]: () => readPaced(stream),
  };
}

// Colony's view of one libp2p stream: bytes in, bytes out, with backpressure. The rest of
// Colony sees only this, so a libp2p API change stays inside appliance/peer/.
//
// Concurrency: one reader (the async iterator) and one writer at a time; write() resolves
// when the chunk is queued below the muxer's high-water mark, so a writer that awaits
// each write never buffers more than that. end() half-closes: the remote's iterator ends,
// ours keeps reading until the remote ends too.
import type { Stream } from '@libp2p/interface';

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
    async *[Symbol.asyncIterator]() {
      for await (const chunk of stream) {
        // libp2p may hand over a list of buffers; subarray() joins them (no copy for one).
        yield chunk instanceof Uint8Array ? chunk : chunk.subarray();
      }
    },
  };
}

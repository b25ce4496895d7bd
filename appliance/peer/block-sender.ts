// The serving side of `/colony/blocks/1`: a peer's receiver opens a stream, we say hello
// (our store's epoch and durable head), then answer its requests in order: pages of our
// log (`entriesSince`) and blocks by score. A block we cannot read (missing, or corrupt
// here) is answered `missing` with its error code, so the receiver can give up on it and
// move its cursor on instead of asking forever. After each sync that moved our head we
// push a `head` notice, so a caught-up receiver asks again within a round trip.
//
// Concurrency: one session per inbound stream (libp2p bounds them per connection);
// within a session requests are served one at a time, and every write (answers and
// notices) goes through one chain, so frames never interleave. A notice is coalesced:
// at most one is queued per session. Memory per session: one page or one block at a
// time, written with the stream's backpressure; a frame that cannot be queued within
// writeTimeoutMs (the receiver stopped reading) ends the session. stop() aborts every
// open session and refuses new ones; the store is the caller's and stays open.
import { ColonyError, isColonyError } from '../errors.js';
import type { Log } from '../log.js';
import type { AppendListener, LogPage, Score } from '../store/index.js';
import {
  BLOCK_PROTOCOL_VERSION, FrameReader, protocolError, toWire, writeFrame, type Message,
} from './block-protocol.js';
import type { PeerStream } from './stream.js';

/** What the sender needs of a store (a BlockStore; tests wrap one). */
export interface SenderStore {
  readonly epoch: string;
  logHead(): number;
  entriesSince(position: number, options?: { limit?: number }): Promise<LogPage>;
  getBlock(score: Score): Promise<{ type: number; data: Buffer }>;
  onAppend(listener: AppendListener): () => void;
}

export interface SenderStats { sessions: number; entriesRequests: number; fetchRequests: number; blocksSent: number; bytesSent: number; missing: number }

export interface BlockSender {
  /** The protocol handler: serves one receiver's session until it ends. */
  serve(stream: PeerStream): Promise<void>;
  stats(): SenderStats;
  stop(): void;
}

/** A silent receiver ends its session after this (it has nothing in flight with us). */
export const SENDER_IDLE_MS = 10 * 60_000;
/** A receiver that stops reading ends its session after a frame waits this long to be queued. */
export const SENDER_WRITE_TIMEOUT_MS = 60_000;

/** `p`, or COLONY_TIMEOUT after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new ColonyError('COLONY_TIMEOUT', `${what} waited ${ms} ms`)), ms); });
  try { return await Promise.race([p, timeout]); } finally { clearTimeout(timer); }
}

export interface SenderOptions { idleMs?: number; writeTimeoutMs?: number }

export function createBlockSender(options: { store: SenderStore; log: Log } & SenderOptions): BlockSender {
  const { store } = options;
  const log = options.log.child({ subsystem: 'blocks-sender' });
  const idleMs = options.idleMs ?? SENDER_IDLE_MS;
  const writeTimeoutMs = options.writeTimeoutMs ?? SENDER_WRITE_TIMEOUT_MS;
  const stats: SenderStats = { sessions: 0, entriesRequests: 0, fetchRequests: 0, blocksSent: 0, bytesSent: 0, missing: 0 };
  const open = new Set<PeerStream>();
  let stopped = false;

  async function serve(stream: PeerStream): Promise<void> {
    if (stopped) { stream.abort(protocolError('block replication is stopped here')); return; }
    const peer = stream.remotePeer;
    stats.sessions++;
    open.add(stream);
    let chain: Promise<void> = Promise.resolve();
    let failed: Error | undefined;
    const write = (msg: Message, body?: Uint8Array) => within(writeFrame(stream, msg, body), writeTimeoutMs, `a frame to ${peer}`);
    const send = (msg: Message, body?: Uint8Array): Promise<void> => {
      chain = chain.then(() => (failed ? undefined : write(msg, body))).catch((err) => { failed ??= err as Error; });
      return chain;
    };
    let noticeQueued = false;
    const unsubscribe = store.onAppend(() => {
      if (noticeQueued) return;
      noticeQueued = true;
      // Read the head when the notice is written, not now: coalesced notices say the latest.
      chain = chain.then(async () => {
        noticeQueued = false;
        if (!failed) await write({ t: 'head', epoch: store.epoch, head: store.logHead() });
      }).catch((err) => { failed ??= err as Error; });
    });
    try {
      await send({ t: 'hello', v: BLOCK_PROTOCOL_VERSION, epoch: store.epoch, head: store.logHead() });
      const reader = new FrameReader(stream);
      // Each round serves one request; the stream ends or goes idle, so this ends.
      for (;;) {
        if (failed) throw failed;
        const frame = await reader.next(idleMs);
        if (frame === 'timeout' || frame === undefined) break;
        const { msg } = frame;
        if (msg.t === 'entries') {
          stats.entriesRequests++;
          try {
            const page = await store.entriesSince(msg.from, { limit: msg.limit });
            await send({ t: 'page', entries: page.entries.map(toWire), next: page.next, head: page.head });
          } catch (err) {
            if (!isColonyError(err)) throw err;
            await send({ t: 'error', code: err.code, message: err.detail });
          }
        } else if (msg.t === 'fetch') {
          stats.fetchRequests++;
          for (const hex of msg.scores) {
            let block: { type: number; data: Buffer };
            try {
              block = await store.getBlock(Buffer.from(hex, 'hex'));
            } catch (err) {
              if (!isColonyError(err)) throw err;
              stats.missing++;
              log.warn({ peer, score: `b3:${hex}`, code: err.code }, 'cannot serve a block a peer asked for');
              await send({ t: 'missing', score: hex, code: err.code });
              continue;
            }
            await send({ t: 'block', score: hex, type: block.type }, block.data);
            if (failed) throw failed; // the receiver left or stopped reading: end here
            stats.blocksSent++;
            stats.bytesSent += block.data.length;
          }
          await send({ t: 'done' });
          if (failed) throw failed;
        } else {
          throw protocolError(`a '${msg.t}' message is not a request`);
        }
      }
      await chain;
      await stream.end().catch(() => {});
    } catch (err) {
      if (!stopped) log.info({ peer, err: (err as Error).message }, 'a block session ended with an error');
      stream.abort(err as Error);
    } finally {
      unsubscribe();
      open.delete(stream);
    }
  }

  return {
    serve,
    stats: () => ({ ...stats }),
    stop() {
      stopped = true;
      for (const s of open) s.abort(protocolError('block replication stopped'));
    },
  };
}

// Fetch on demand: a BlockSource over the local store that, on a local miss, asks the
// member peers for the block over `/colony/blocks/1` (a single-score `fetch`), verifies it
// with putVerified (which stores it) and answers. Peers are asked one at a time, in the
// order peers() lists them; a peer that says `missing`, fails, or sends bytes that do not
// hash to the score (rejected, nothing stored, a warning) passes the question to the next.
//
// Outcomes of a miss: the block; COLONY_NOT_FOUND when there are no peers or every peer
// answered `missing` (the block exists nowhere we can see; COLONY_IO instead with `absent:
// 'io'`, as the supervisor's volumes use it); COLONY_IO (EIO over 9P) when a
// peer failed, lied, or the whole fetch ran past timeoutMs, so a volume read never hangs.
// COLONY_IO rather than COLONY_TIMEOUT because the latter maps to ETIMEDOUT, and a read
// the appliance cannot satisfy is an EIO to the 9P client.
//
// `fetchMany(scores)` is the batched form, for a save on a lazy node that must hold its
// whole tree before naming it (grid/name-visibility.ts, `makeWhole`): the scores not held
// go to each peer in turn over one session, FETCH_MANY_BATCH a request, and only what one
// peer did not serve is asked of the next. It does not join the in-flight map: a block a
// read is fetching at the same moment may come twice, and the store keeps it once.
//
// Concurrency contract: every method may run alongside any other. Concurrent misses for
// one score share one fetch (the in-flight map, keyed by score hex; an entry is removed
// when its fetch settles, so a later miss asks again). Bounds: one stream per fetch at a
// time, one block frame in memory, timeoutMs overall per fetch (the open stream is aborted
// when it passes).
import { ColonyError, isColonyError } from '../errors.js';
import type { Log } from '../log.js';
import { formatScore, type BlockSource, type BlockStore, type Score } from '../store/index.js';
import { BLOCK_PROTOCOL, BLOCK_PROTOCOL_VERSION, FrameReader, protocolError, remoteError, writeFrame, type Frame } from './block-protocol.js';
import type { PeerNode } from './node.js';
import type { PeerStream } from './stream.js';

export const FETCH_SOURCE_TIMEOUT_MS = 10_000;
/** Scores a `fetchMany` request names (the protocol allows FETCH_MAX_SCORES). */
export const FETCH_MANY_BATCH = 256;

export type FetchLocalStore = Pick<BlockStore, 'put' | 'putVerified' | 'getBlock' | 'has' | 'hasMany' | 'sync' | 'maxBlockBytes'>;

export interface PeerBlockSourceOptions {
  local: FetchLocalStore;
  node: PeerNode;
  /** Member peers to ask, in order (connected ones, typically). */
  peers(): string[];
  /** The whole fetch of one block, across all peers. */
  timeoutMs?: number;
  /**
   * What a block no peer has is: COLONY_NOT_FOUND (the BlockSource contract; the default) or
   * COLONY_IO, for a volume's reads: there a block the tree points at that no connected peer
   * serves is an unsatisfiable read (EIO to the 9P client), never "no such file" (ENOENT).
   */
  absent?: 'not-found' | 'io';
  log: Log;
}

export interface FetchStats { fetches: number; fetched: number; rejected: number; failed: number }

/** What one peer said about one score. */
type Answer = { t: 'block'; type: number; data: Buffer } | { t: 'missing' };

export class PeerBlockSource implements BlockSource {
  private readonly local: FetchLocalStore;
  private readonly node: PeerNode;
  private readonly peers: () => string[];
  private readonly timeoutMs: number;
  private readonly absent: 'not-found' | 'io';
  private readonly log: Log;
  private readonly inFlight = new Map<string, Promise<{ type: number; data: Buffer }>>();
  private readonly counts: FetchStats = { fetches: 0, fetched: 0, rejected: 0, failed: 0 };

  constructor(o: PeerBlockSourceOptions) {
    this.local = o.local;
    this.node = o.node;
    this.peers = o.peers;
    this.timeoutMs = o.timeoutMs ?? FETCH_SOURCE_TIMEOUT_MS;
    this.absent = o.absent ?? 'not-found';
    this.log = o.log.child({ subsystem: 'blocks-fetch' });
  }

  get maxBlockBytes(): number { return this.local.maxBlockBytes; }
  stats(): FetchStats { return { ...this.counts }; }
  put(type: number, data: Uint8Array): Promise<Score> { return this.local.put(type, data); }
  has(score: Score): Promise<boolean> { return this.local.has(score); }
  hasMany(scores: Score[]): Promise<boolean[]> { return this.local.hasMany(scores); }
  sync(): Promise<void> { return this.local.sync(); }

  async get(score: Score): Promise<Buffer> {
    return (await this.getBlock(score)).data;
  }

  async getBlock(score: Score): Promise<{ type: number; data: Buffer }> {
    try {
      return await this.local.getBlock(score);
    } catch (err) {
      if (!isColonyError(err, 'COLONY_NOT_FOUND')) throw err;
      const key = score.toString('hex');
      let p = this.inFlight.get(key);
      if (!p) {
        p = this.fetch(score, err).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, p);
      }
      return p;
    }
  }

  /** Asks the peers in turn, within timeoutMs overall; `notFound` is the local miss. */
  private async fetch(score: Score, notFound: ColonyError): Promise<{ type: number; data: Buffer }> {
    const peers = this.peers();
    if (peers.length === 0) throw this.nowhere(score, notFound, 'no member peer is connected');
    this.counts.fetches++;
    const stop = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new ColonyError('COLONY_IO', `block ${formatScore(score)} is not here and no peer served it in ${this.timeoutMs} ms (timed out)`);
        stop.abort(err);
        reject(err);
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([this.askAll(score, peers, notFound, stop.signal), timedOut]);
    } catch (err) {
      this.counts.failed++;
      throw err;
    } finally {
      clearTimeout(timer);
      stop.abort(new ColonyError('COLONY_CLOSED', 'fetch settled'));
    }
  }

  private async askAll(score: Score, peers: string[], notFound: ColonyError, signal: AbortSignal): Promise<{ type: number; data: Buffer }> {
    let failures = 0;
    // One round per listed peer; the list is finite.
    for (const peer of peers) {
      if (signal.aborted) break;
      let answer: Answer;
      try {
        answer = await this.ask(peer, score, signal);
      } catch (err) {
        failures++;
        if (!signal.aborted) this.log.info({ peer, score: formatScore(score), err: (err as Error).message }, 'a peer could not answer a block fetch; asking the next');
        continue;
      }
      if (answer.t === 'missing') continue;
      try {
        await this.local.putVerified(answer.type, answer.data, score);
      } catch (err) {
        failures++;
        if (isColonyError(err, 'COLONY_CORRUPT_BLOCK')) {
          this.counts.rejected++;
          this.log.warn({ peer, score: formatScore(score) }, 'a peer sent a block whose bytes do not match its score; rejected, asking the next');
          continue;
        }
        throw err;
      }
      this.counts.fetched++;
      return { type: answer.type, data: answer.data };
    }
    if (failures > 0) throw new ColonyError('COLONY_IO', `block ${formatScore(score)} is not here and ${failures} peer(s) failed to serve it`);
    throw this.nowhere(score, notFound, `none of ${peers.length} connected peer(s) has it`);
  }

  /**
   * Fetches, verifies and stores every score of `scores` the local store lacks; resolves
   * with how many it fetched (none are synced: the caller syncs). A score no peer served is
   * an error as for a miss (COLONY_IO when a peer failed, else the `absent` rule), naming
   * how many are left. Each frame waits at most timeoutMs; the work is bounded by the
   * peers × ceil(scores / FETCH_MANY_BATCH) requests.
   */
  async fetchMany(scores: Score[]): Promise<number> {
    const held = await this.local.hasMany(scores);
    const left = new Map<string, Score>();
    scores.forEach((s, i) => { if (!held[i]) left.set(s.toString('hex'), s); });
    if (left.size === 0) return 0;
    const first = [...left.values()][0]!;
    const notFound = new ColonyError('COLONY_NOT_FOUND', `block ${formatScore(first)} and ${left.size - 1} more are not here`);
    const peers = this.peers();
    if (peers.length === 0) throw this.nowhere(first, notFound, 'no member peer is connected');
    const before = this.counts.fetched;
    let failures = 0;
    for (const peer of peers) {
      if (left.size === 0) break;
      try {
        await this.askMany(peer, left);
      } catch (err) {
        failures++;
        this.log.info({ peer, left: left.size, err: (err as Error).message }, 'a peer could not serve a batch of blocks; asking the next');
      }
    }
    if (left.size === 0) return this.counts.fetched - before;
    this.counts.failed++;
    if (failures > 0) throw new ColonyError('COLONY_IO', `${left.size} blocks are not here and ${failures} peer(s) failed to serve them`);
    throw this.nowhere(first, notFound, `none of ${peers.length} connected peer(s) has ${left.size} of them`);
  }

  /** One session with one peer: `left`'s scores, FETCH_MANY_BATCH a request; each block verified and stored is removed from `left`. */
  private async askMany(peer: string, left: Map<string, Score>): Promise<void> {
    const s = await this.node.newStream(peer, BLOCK_PROTOCOL, { signal: AbortSignal.timeout(this.timeoutMs) });
    try {
      const reader = await this.hello(s, peer);
      const keys = [...left.keys()];
      for (let i = 0; i < keys.length; i += FETCH_MANY_BATCH) {
        this.counts.fetches++;
        await this.request(s, reader, peer, keys.slice(i, i + FETCH_MANY_BATCH), async (key, got) => {
          if (got.msg.t !== 'block') return;
          try {
            await this.local.putVerified(got.msg.type, got.body, left.get(key)!);
          } catch (err) {
            if (isColonyError(err, 'COLONY_CORRUPT_BLOCK')) {
              this.counts.rejected++;
              this.log.warn({ peer, score: formatScore(left.get(key)!) }, 'a peer sent a block whose bytes do not match its score; rejected, asking the next');
            }
            throw err;
          }
          this.counts.fetched++;
          left.delete(key);
        });
      }
      await s.end().catch(() => {});
    } catch (err) {
      s.abort(err as Error);
      throw err;
    }
  }

  /** Reads the peer's hello on a new session and checks its version; the session's reader. */
  private async hello(s: PeerStream, peer: string): Promise<FrameReader> {
    const reader = new FrameReader(s);
    const hello = await this.next(reader, peer);
    if (hello.msg.t !== 'hello' || hello.msg.v !== BLOCK_PROTOCOL_VERSION) throw protocolError(`${peer} did not say hello in version ${BLOCK_PROTOCOL_VERSION}`);
    return reader;
  }

  /** One `fetch` of `keys`: each answer (`block` or `missing`, in order) goes to `onAnswer`, then `done` is due. */
  private async request(s: PeerStream, reader: FrameReader, peer: string, keys: string[], onAnswer: (key: string, got: Frame) => Promise<void>): Promise<void> {
    await writeFrame(s, { t: 'fetch', scores: keys });
    for (const key of keys) {
      const got = await this.next(reader, peer);
      if ((got.msg.t !== 'block' && got.msg.t !== 'missing') || got.msg.score !== key) throw protocolError(`${peer} answered out of order (expected block ${key})`);
      await onAnswer(key, got);
    }
    const end = await this.next(reader, peer);
    if (end.msg.t !== 'done') throw protocolError(`${peer} sent '${end.msg.t}' where 'done' was due`);
  }

  /** The next frame that is not a head notice, within timeoutMs. */
  private async next(reader: FrameReader, peer: string): Promise<Frame> {
    for (let i = 0; i < 1000; i++) {
      const f = await reader.next(this.timeoutMs);
      if (f === 'timeout') throw new ColonyError('COLONY_TIMEOUT', `${peer} did not answer`);
      if (f === undefined) throw new ColonyError('COLONY_IO', `${peer} ended the session`);
      if (f.msg.t === 'error') throw remoteError(f.msg, peer);
      if (f.msg.t !== 'head') return f;
    }
    throw protocolError(`${peer} sent only head notices`);
  }

  /** A block found nowhere: the local miss, or COLONY_IO when `absent` is 'io'. */
  private nowhere(score: Score, notFound: ColonyError, why: string): ColonyError {
    return this.absent === 'io' ? new ColonyError('COLONY_IO', `block ${formatScore(score)} is not here and ${why}`, { cause: notFound }) : notFound;
  }

  /** One session with one peer: hello, a single-score fetch, its answer and `done`. */
  private async ask(peer: string, score: Score, signal: AbortSignal): Promise<Answer> {
    const s = await this.node.newStream(peer, BLOCK_PROTOCOL, { signal });
    const onAbort = () => s.abort(signal.reason as Error);
    signal.addEventListener('abort', onAbort);
    try {
      if (signal.aborted) throw signal.reason;
      // Each read waits at most timeoutMs; the overall timer aborts the stream sooner.
      const reader = await this.hello(s, peer);
      let answer: Answer = { t: 'missing' };
      await this.request(s, reader, peer, [score.toString('hex')], async (_key, got) => {
        if (got.msg.t === 'block') answer = { t: 'block', type: got.msg.type, data: got.body };
      });
      await s.end().catch(() => {});
      return answer;
    } catch (err) {
      s.abort(err as Error);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

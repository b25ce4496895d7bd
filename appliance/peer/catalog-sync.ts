// Catalog replication over `/colony/catalog/1` (catalog-protocol.ts). Every node pulls:
// it sends its version vector and applies the pages of events the other side answers
// with (eventsSince), until a page is not full. It pulls from a peer when
//   - the peer connects (the connected set is polled every tick),
//   - the peer's vector, seen in its pull or in a notice, is ahead of ours,
//   - every ANTI_ENTROPY_MS, from every connected peer (a lost notice costs a delay only).
// When the local catalog gets events (local or from a peer: catalog.onEvent) it sends a
// notice with its vector to every connected peer, so an event travels A → B → C by each
// hop pulling from the one before it. Events are checked against their origin's key, not
// the relay's, by applyRemote; a refusal (COLONY_AUTH: the peer relayed a forged event)
// applies nothing, closes the session and backs that peer off.
//
// Concurrency: at most one pull and one notice in flight per peer; a request for another
// while one runs is folded into one more pass. Failures back off per peer (1 s doubling to
// 60 s). This module only uses connections: it never dials (the supervisor does).
// stop() aborts open sessions and waits for them.
import { isColonyError, ColonyError } from '../errors.js';
import type { Catalog } from '../catalog/index.js';
import type { Log } from '../log.js';
import { CATALOG_PROTOCOL, encodeFrame, FrameReader, isAhead, MAX_PAGE, type CatalogMessage } from './catalog-protocol.js';
import type { PeerNode } from './node.js';
import type { PeerStream } from './stream.js';

export type ReplicatedCatalog = Pick<Catalog, 'vector' | 'eventsSince' | 'applyRemote' | 'onEvent'>;

export interface CatalogReplicationOptions {
  node: Pick<PeerNode, 'peerId' | 'handle' | 'newStream' | 'connectedPeers'>;
  catalog: ReplicatedCatalog;
  log: Log;
  /** The peers to replicate with (the members); asked often, must be cheap. */
  peers(): string[];
  /** How often the connected set is checked (ms); tests may shorten it. */
  tickMs?: number;
}

export interface CatalogReplication { stop(): Promise<void> }

const REQUEST_MS = 30_000; // one frame's round trip; a page is at most MAX_FRAME bytes
const ANTI_ENTROPY_MS = 60_000;
const BACKOFF_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
const MAX_PAGES = 10_000; // per session: 5 million events, far above a real catalog
const MAX_REQUESTS = MAX_PAGES + 1; // per inbound stream
const MAX_STALL = 3; // full pages in a row that bring nothing new: a looping peer
const MAX_PASSES = 100; // pulls folded into one running one, before giving the loop back

interface PeerState { pulling: boolean; again: boolean; failures: number; retry?: NodeJS.Timeout; noticing: boolean; noticeAgain: boolean }

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const protocolError = (detail: string) => new ColonyError('COLONY_PROTOCOL', `${CATALOG_PROTOCOL}: ${detail}`);

/** A page of `events` as one frame under MAX_FRAME: halves the page until it fits (then `more`). */
function pageFrame(events: unknown[], full: boolean): Buffer {
  let n = events.length;
  for (let i = 0; i < 32; i++) {
    try {
      return encodeFrame({ t: 'page', events: events.slice(0, n), more: full || n < events.length });
    } catch (err) {
      if (!isColonyError(err, 'COLONY_TOO_LARGE') || n <= 1) throw err;
      n = Math.ceil(n / 2);
    }
  }
  throw protocolError('a page would not fit in a frame');
}

export async function startCatalogReplication(options: CatalogReplicationOptions): Promise<CatalogReplication> {
  const { node, catalog, peers } = options;
  const log = options.log.child({ subsystem: 'catalog-sync' });
  const tickMs = options.tickMs ?? 1_000;
  const states = new Map<string, PeerState>();
  const open = new Set<PeerStream>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  const wanted = (peer: string) => peer !== node.peerId && peers().includes(peer);
  const stateOf = (peer: string): PeerState => {
    let s = states.get(peer);
    if (!s) states.set(peer, (s = { pulling: false, again: false, failures: 0, noticing: false, noticeAgain: false }));
    return s;
  };
  const track = <T>(p: Promise<T>): void => {
    const done = p.then(() => {}, () => {}).finally(() => running.delete(done));
    running.add(done);
  };

  /** Opens a stream, runs `fn` on it, ends it and waits for the remote to end too. Aborts on failure. */
  async function session(peer: string, fn: (stream: PeerStream, reader: FrameReader) => Promise<void>): Promise<void> {
    const stream = await node.newStream(peer, CATALOG_PROTOCOL, { signal: AbortSignal.timeout(REQUEST_MS) });
    open.add(stream);
    try {
      const reader = new FrameReader(stream, REQUEST_MS);
      await fn(stream, reader);
      await stream.end();
      if ((await reader.next()) !== undefined) throw protocolError('a frame after the last answer');
    } catch (err) {
      stream.abort(err as Error);
      throw err;
    } finally {
      open.delete(stream);
    }
  }

  async function pullFrom(peer: string): Promise<void> {
    await session(peer, async (stream, reader) => {
      let stalled = 0;
      for (let page = 0; page < MAX_PAGES && !stopped; page++) {
        await stream.write(encodeFrame({ t: 'pull', vector: catalog.vector(), limit: MAX_PAGE }));
        const msg = await reader.next();
        if (msg?.t !== 'page') throw protocolError(`expected a page from ${peer}, got ${msg ? msg.t : 'the end of the stream'}`);
        const { applied } = await catalog.applyRemote(msg.events);
        if (applied > 0) log.debug({ peer, applied }, 'applied catalog events from a peer');
        if (!msg.more) return;
        stalled = applied === 0 ? stalled + 1 : 0;
        if (stalled >= MAX_STALL) throw protocolError(`${peer} keeps sending full pages with nothing new`);
      }
    });
  }

  function schedulePull(peer: string): void {
    if (stopped || !wanted(peer)) return;
    const s = stateOf(peer);
    if (s.retry) return; // backing off: the retry pulls
    if (s.pulling) { s.again = true; return; }
    s.pulling = true;
    track((async () => {
      try {
        for (let pass = 0; pass < MAX_PASSES && !stopped; pass++) {
          s.again = false;
          await pullFrom(peer);
          if (!s.again) break;
        }
        s.failures = 0;
      } catch (err) {
        if (stopped) return;
        s.failures++;
        const delay = Math.min(BACKOFF_MS * 2 ** Math.min(s.failures - 1, 16), BACKOFF_MAX_MS);
        if (isColonyError(err, 'COLONY_AUTH')) log.warn({ peer, err: message(err), retryMs: delay }, 'a peer sent catalog events that do not verify; nothing applied, session closed');
        else log.warn({ peer, err: message(err), retryMs: delay }, 'catalog pull from a peer failed');
        s.retry = setTimeout(() => { s.retry = undefined; schedulePull(peer); }, delay);
        s.retry.unref();
      } finally {
        s.pulling = false;
      }
    })());
  }

  function sendNotice(peer: string): void {
    if (stopped || !wanted(peer)) return;
    const s = stateOf(peer);
    if (s.noticing) { s.noticeAgain = true; return; }
    s.noticing = true;
    track((async () => {
      try {
        for (let pass = 0; pass < MAX_PASSES && !stopped; pass++) {
          s.noticeAgain = false;
          await session(peer, (stream) => stream.write(encodeFrame({ t: 'notice', vector: catalog.vector() })));
          if (!s.noticeAgain) break;
        }
      } catch (err) {
        // The peer's next pull (on reconnect or anti-entropy) gets the events anyway.
        if (!stopped) log.debug({ peer, err: message(err) }, 'catalog notice to a peer failed');
      } finally {
        s.noticing = false;
      }
    })());
  }

  /** The server side: answers pulls with pages; a vector ahead of ours (in a pull or notice) makes us pull back. */
  async function serve(stream: PeerStream): Promise<void> {
    const peer = stream.remotePeer;
    if (stopped || !wanted(peer)) { stream.abort(protocolError('not replicating with this peer')); return; }
    open.add(stream);
    try {
      const reader = new FrameReader(stream, REQUEST_MS);
      for (let i = 0; i < MAX_REQUESTS && !stopped; i++) {
        const msg: CatalogMessage | undefined = await reader.next();
        if (!msg) break;
        if (msg.t === 'page') throw protocolError(`${peer} sent a page without a pull`);
        if (i === 0 && isAhead(msg.vector, catalog.vector())) schedulePull(peer);
        if (msg.t === 'notice') continue;
        const events = await catalog.eventsSince(msg.vector, { limit: msg.limit });
        await stream.write(pageFrame(events, events.length >= msg.limit));
      }
      await stream.end();
    } finally {
      open.delete(stream);
    }
  }

  await node.handle(CATALOG_PROTOCOL, serve);

  const unsubscribe = catalog.onEvent(() => {
    for (const peer of node.connectedPeers()) sendNotice(peer);
  });

  let connected = new Set<string>();
  let sinceFull = 0;
  const tick = () => {
    if (stopped) return;
    const now = node.connectedPeers().filter(wanted);
    sinceFull += tickMs;
    const all = sinceFull >= ANTI_ENTROPY_MS;
    if (all) sinceFull = 0;
    for (const peer of now) if (all || !connected.has(peer)) schedulePull(peer);
    connected = new Set(now);
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  tick();

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      for (const s of states.values()) if (s.retry) clearTimeout(s.retry);
      for (const stream of open) stream.abort(new ColonyError('COLONY_CLOSED', 'catalog replication stopped'));
      await Promise.allSettled([...running]);
    },
  };
}

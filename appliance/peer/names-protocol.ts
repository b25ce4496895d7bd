// `/colony/names/1`: "which of these names' trees do you hold whole?", for lazy replication.
//
// A node in lazy mode pulls no blocks in bulk, so a replicated name would stay pending
// forever if only the local store counted. The rule (issue 13): in lazy mode a name is
// visible when its closure is local, or when a *connected* member holds the closure. This
// protocol is how a node learns the second:
//
//   asker → { t: 'complete', roots: [score, …] }     at most MAX_ROOTS, one request a stream
//   server → { t: 'completed', roots: [score, …] }   the subset it holds whole, then ends
//
// The server answers from its own store only (`holdsLocally`: a name saved on that node,
// which its save made whole there even in lazy mode (NameCompleteness.makeWhole), or one
// whose whole closure its NameCompleteness found local), never from what *its* peers
// told it, so "complete" is never relayed: it holds while the node that said it is
// connected, and a chain of lazy nodes cannot vouch for a tree no one holds.
//
// The asker keeps, per connected peer, the roots that peer said it holds (a tree held whole
// stays so: blocks are not removed while a name points at them). `holds(root)` consults only
// the peers connected *now*, so a name falls back to pending the moment its holder leaves;
// a peer's answers are forgotten by the first round that finds it disconnected (within a
// second), and asked again when it is back.
//
// When it asks: `refresh()` (the supervisor calls it when names arrive, and spawn before
// refusing a pending name), when the set of connected peers changes (checked every
// second), and every REASK_MS (a peer that was itself still receiving a tree may hold it
// now). Only roots a peer has not yet said it holds are asked. Bounds: MAX_ROOTS a request,
// MAX_REQUESTS a peer per round, one round at a time with at most one more queued
// (coalesced), timeoutMs on opening the stream and on each frame.
import { ColonyError } from '../errors.js';
import type { Log } from '../log.js';
import { FrameReader, writeFrame } from './frames.js';
import type { PeerNode } from './node.js';
import type { PeerStream } from './stream.js';

export const NAMES_PROTOCOL = '/colony/names/1';
export const MAX_ROOTS = 256;
/** Rounds ask each peer about at most MAX_REQUESTS × MAX_ROOTS roots (the rest next round). */
export const MAX_REQUESTS = 64;
export const REASK_MS = 15_000;
const CHECK_MS = 1_000;
const TIMEOUT_MS = 10_000;
/** 256 roots of 67 characters, quoted, fit well within it. */
const MAX_HEADER = 64 * 1024;

export type NamesMessage = { t: 'complete'; roots: string[] } | { t: 'completed'; roots: string[] };

const protocolError = (detail: string) => new ColonyError('COLONY_PROTOCOL', `${NAMES_PROTOCOL}: ${detail}`);
const ROOT = /^b3:[0-9a-f]{64}$/;

/** Checks a frame header's shape; COLONY_PROTOCOL for anything else. */
export function parseNamesMessage(raw: unknown): NamesMessage {
  if (typeof raw !== 'object' || raw === null) throw protocolError('a frame is not an object');
  const m = raw as Record<string, unknown>;
  if (m.t !== 'complete' && m.t !== 'completed') throw protocolError(`unknown message type ${JSON.stringify(m.t)}`);
  if (!Array.isArray(m.roots) || m.roots.length > MAX_ROOTS) throw protocolError(`roots is a list of at most ${MAX_ROOTS} scores`);
  for (const r of m.roots) if (typeof r !== 'string' || !ROOT.test(r)) throw protocolError(`${JSON.stringify(r)} is not a score (b3: and 64 hex digits)`);
  return { t: m.t, roots: m.roots as string[] };
}

export interface NamesProtocolOptions {
  node: PeerNode;
  /** The roots among `roots` whose whole closure this node's own store holds. Never remote knowledge. */
  holdsLocally(roots: string[]): string[];
  /** The roots to ask about (names pending here); omitted: this node only answers (eager mode). */
  pending?(): string[];
  /** Member peers connected now. */
  peers(): string[];
  log: Log;
  timeoutMs?: number;
  reaskMs?: number;
}

export interface NamesStats { served: number; asked: number; rootsAsked: number; failed: number }

export interface NamesProtocol {
  /** True when a peer connected now said it holds `root` (score text) whole. */
  holds(root: string): boolean;
  /** Asks the connected peers about the pending roots; resolves when that round is done. */
  refresh(): Promise<void>;
  stats(): NamesStats;
  stop(): Promise<void>;
}

/** Registers the handler (every mode) and, with `pending`, the asking side. */
export async function startNamesProtocol(o: NamesProtocolOptions): Promise<NamesProtocol> {
  const log = o.log.child({ protocol: 'names' });
  const timeoutMs = o.timeoutMs ?? TIMEOUT_MS;
  const counts: NamesStats = { served: 0, asked: 0, rootsAsked: 0, failed: 0 };
  const open = new Set<PeerStream>();
  const said = new Map<string, Set<string>>(); // peer → roots it said it holds
  let stopped = false;

  await o.node.handle(NAMES_PROTOCOL, async (stream) => {
    if (stopped) { stream.abort(new ColonyError('COLONY_CLOSED', 'names protocol stopped')); return; }
    open.add(stream);
    try {
      const reader = new FrameReader(stream, { maxHeader: MAX_HEADER, maxBody: 0 }, parseNamesMessage);
      const f = await reader.next(timeoutMs);
      if (f === 'timeout' || f === undefined) throw protocolError(`${stream.remotePeer} sent no request`);
      if (f.msg.t !== 'complete') throw protocolError(`${stream.remotePeer} sent '${f.msg.t}' where 'complete' was due`);
      counts.served++;
      const held = new Set(o.holdsLocally(f.msg.roots));
      await writeFrame(stream, { t: 'completed', roots: f.msg.roots.filter((r) => held.has(r)) });
      await stream.end();
    } finally {
      open.delete(stream);
    }
  });

  /** One request: the subset of `roots` that `peer` holds. */
  async function ask(peer: string, roots: string[]): Promise<string[]> {
    const signal = AbortSignal.timeout(timeoutMs);
    const s = await o.node.newStream(peer, NAMES_PROTOCOL, { signal });
    open.add(s);
    try {
      await writeFrame(s, { t: 'complete', roots });
      const reader = new FrameReader(s, { maxHeader: MAX_HEADER, maxBody: 0 }, parseNamesMessage);
      const f = await reader.next(timeoutMs);
      if (f === 'timeout') throw new ColonyError('COLONY_TIMEOUT', `${peer} did not answer within ${timeoutMs} ms`);
      if (f === undefined || f.msg.t !== 'completed') throw protocolError(`${peer} did not answer 'completed'`);
      const asked = new Set(roots);
      await s.end().catch(() => {});
      return f.msg.roots.filter((r) => asked.has(r));
    } catch (err) {
      s.abort(err as Error);
      throw err;
    } finally {
      open.delete(s);
    }
  }

  async function askPeer(peer: string, pending: string[]): Promise<void> {
    let known = said.get(peer);
    if (!known) { known = new Set(); said.set(peer, known); }
    const todo = pending.filter((r) => !known.has(r));
    for (let i = 0; i < MAX_REQUESTS && i * MAX_ROOTS < todo.length && !stopped; i++) {
      const roots = todo.slice(i * MAX_ROOTS, (i + 1) * MAX_ROOTS);
      counts.asked++;
      counts.rootsAsked += roots.length;
      for (const r of await ask(peer, roots)) known.add(r);
    }
  }

  async function round(): Promise<void> {
    const peers = o.peers();
    const now = new Set(peers);
    for (const p of said.keys()) if (!now.has(p)) said.delete(p); // forgotten on disconnect
    const pending = [...new Set(o.pending!())];
    if (pending.length === 0) return;
    await Promise.all(peers.map((peer) => askPeer(peer, pending).catch((err: unknown) => {
      counts.failed++;
      if (!stopped) log.info({ peer, err: (err as Error).message }, 'a peer did not say which names it holds; asked again later');
    })));
  }

  // Coalesced: one round runs; callers during it share one more round after it.
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  function refresh(): Promise<void> {
    if (stopped || !o.pending) return Promise.resolve();
    if (!running) {
      running = round().finally(() => { running = undefined; });
      return running;
    }
    queued ??= running.then(() => { queued = undefined; return refresh(); });
    return queued;
  }

  let timer: NodeJS.Timeout | undefined;
  if (o.pending) {
    let lastPeers = '';
    let lastRound = 0;
    const reaskMs = o.reaskMs ?? REASK_MS;
    timer = setInterval(() => {
      const peers = o.peers().join(',');
      if (peers === lastPeers && Date.now() - lastRound < reaskMs) return;
      lastPeers = peers;
      lastRound = Date.now();
      void refresh();
    }, CHECK_MS);
    timer.unref();
  }

  return {
    holds(root) {
      if (stopped) return false;
      return o.peers().some((p) => said.get(p)?.has(root) ?? false);
    },
    refresh,
    stats: () => ({ ...counts }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const s of open) s.abort(new ColonyError('COLONY_CLOSED', 'names protocol stopped'));
      await running?.catch(() => {});
    },
  };
}

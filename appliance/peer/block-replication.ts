// Block replication on a node: serve our store to every member peer that asks, and run one
// receiver per connected member peer. `peers()` is asked every `scanMs` (bounded work: a
// set difference); a peer that left has its receiver stopped, a new one gets one.
//
// Concurrency: one receiver per peer, all sharing one in-flight set (a block is fetched
// once across peers) and one cursor file. The protocol handler is registered once per
// node and serves through whichever replication is current, so stop() then a new
// startBlockReplication on the same node works (a restart). stop() stops the scan, every
// receiver (each waits for its loop) and every served session; the store stays open.
import type { Log } from '../log.js';
import type { BlockStore } from '../store/index.js';
import { CursorFile } from './block-cursors.js';
import { BLOCK_PROTOCOL, protocolError } from './block-protocol.js';
import { startBlockReceiver, type BlockReceiver, type ReceiverOptions, type ReceiverStats } from './block-receiver.js';
import { createBlockSender, type BlockSender, type SenderOptions, type SenderStats, type SenderStore } from './block-sender.js';
import type { PeerNode } from './node.js';

export interface BlockReplicationOptions {
  node: PeerNode;
  store: BlockStore;
  /** DATA/peer/cursors.json: where each peer's cursor is kept. */
  cursorsPath: string;
  log: Log;
  /** Member peers to replicate from (connected ones); asked every `scanMs`. */
  peers(): string[];
  scanMs?: number;
  receiver?: ReceiverOptions;
  sender?: SenderOptions;
  /** What is served; the store by default (tests wrap it). */
  serveStore?: SenderStore;
}

export interface BlockReplication {
  sender: BlockSender;
  receivers(): ReadonlyMap<string, BlockReceiver>;
  stats(): { sender: SenderStats; receivers: Record<string, ReceiverStats> };
  stop(): Promise<void>;
}

const current = new WeakMap<PeerNode, { sender?: BlockSender }>();

export async function startBlockReplication(options: BlockReplicationOptions): Promise<BlockReplication> {
  const { node, store } = options;
  const log = options.log.child({ subsystem: 'blocks' });
  const sender = createBlockSender({ ...options.sender, store: options.serveStore ?? store, log });
  let slot = current.get(node);
  if (!slot) {
    const fresh: { sender?: BlockSender } = {};
    current.set(node, fresh);
    slot = fresh;
    await node.handle(BLOCK_PROTOCOL, async (stream) => {
      if (!fresh.sender) { stream.abort(protocolError('block replication is not running here')); return; }
      await fresh.sender.serve(stream);
    });
  }
  slot.sender = sender;
  const cursors = new CursorFile(options.cursorsPath);
  const inFlight = new Set<string>();
  const receivers = new Map<string, BlockReceiver>();
  let stopped = false;

  const leaving = new Set<Promise<void>>();
  const scan = () => {
    if (stopped) return;
    let listed: string[];
    try { listed = options.peers(); } catch (err) { log.warn({ err: (err as Error).message }, 'listing the peers to replicate from failed'); return; }
    const want = new Set(listed.filter((p) => p !== node.peerId));
    for (const p of want) {
      if (!receivers.has(p)) receivers.set(p, startBlockReceiver(p, { node, store, cursors, inFlight, log, options: options.receiver }));
    }
    for (const [p, r] of receivers) {
      if (want.has(p)) continue;
      receivers.delete(p);
      const done = r.stop().finally(() => leaving.delete(done));
      leaving.add(done);
    }
  };
  scan();
  const timer = setInterval(scan, options.scanMs ?? 5_000);

  return {
    sender,
    receivers: () => receivers,
    stats: () => ({ sender: sender.stats(), receivers: Object.fromEntries([...receivers].map(([p, r]) => [p, r.stats()])) }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (slot!.sender === sender) slot!.sender = undefined;
      sender.stop();
      await Promise.all([...receivers.values()].map((r) => r.stop()).concat([...leaving]));
      receivers.clear();
    },
  };
}

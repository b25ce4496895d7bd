// Shared by the blocks-*.test.ts files: peer nodes on loopback with a store each, paired
// through their Membership, and a recording Log.
import type { Test } from 'tap';
import { loadOrCreateIdentity } from '../../../appliance/identity/index.js';
import type { Log } from '../../../appliance/log.js';
import { Membership, startPeerNode, type PeerNode } from '../../../appliance/peer/index.js';
import type { SenderStore } from '../../../appliance/peer/block-sender.js';
import { BlockStore, type Score, type StoreOptions } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';

export interface Logged { level: string; msg: string; [k: string]: unknown }

export function recordingLog(into: Logged[]): Log {
  const at = (level: string) => (obj: object, msg?: string) => { into.push({ level, msg: msg ?? '', ...obj }); };
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

export interface Site { node: PeerNode; members: Membership; store: BlockStore; dir: string; data: string; logged: Logged[]; log: Log }

export async function site(t: Test, storeOptions: StoreOptions = {}): Promise<Site> {
  const data = await tmpDir(t);
  const identity = await loadOrCreateIdentity(data);
  const members = new Membership();
  const logged: Logged[] = [];
  const log = recordingLog(logged);
  const node = await startPeerNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], isMember: (id) => members.has(id), log });
  t.teardown(() => node.stop());
  const dir = `${data}/store`;
  const store = await BlockStore.open(dir, storeOptions);
  t.teardown(() => store.close().catch(() => {}));
  return { node, members, store, dir, data, logged, log };
}

export async function pair(a: Site, b: Site): Promise<void> {
  a.members.add(b.node.peerId);
  b.members.add(a.node.peerId);
  await b.node.dial(a.node.peerId, a.node.addresses());
}

/** Puts `n` distinct blocks of about `size` bytes and syncs; their scores in put order. */
export async function fill(store: BlockStore, n: number, tag: string, size = 1000): Promise<Score[]> {
  const out: Score[] = [];
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(size, `${tag} block ${i} `);
    out.push(await store.put(1, b));
  }
  await store.sync();
  return out;
}

/** Polls `check` (bounded: 1200 × 25 ms) and returns its last answer. */
export async function eventually(check: () => boolean | Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 1200; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

export const allHeld = async (store: BlockStore, scores: Score[]) => (await store.hasMany(scores)).every(Boolean);

/** What the sender serves, over `store`, with hooks to count or falsify (a test-only wrapper). */
export function wrapStore(store: BlockStore, hooks: { entriesSince?: (from: number) => void; getBlock?: (score: Score, block: { type: number; data: Buffer }) => { type: number; data: Buffer } } = {}): SenderStore {
  return {
    get epoch() { return store.epoch; },
    logHead: () => store.logHead(),
    onAppend: (l) => store.onAppend(l),
    entriesSince: (from, o) => { hooks.entriesSince?.(from); return store.entriesSince(from, o); },
    getBlock: async (score) => {
      const block = await store.getBlock(score);
      return hooks.getBlock ? hooks.getBlock(score, block) : block;
    },
  };
}

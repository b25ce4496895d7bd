// Grid membership as catalog records: an admin on any member pairs or unpairs a node, the
// event replicates, and every member derives the same member list. Per peer, the latest
// pair/unpair by stamp decides (an unpair and a pair made while apart: the later one
// wins, the origin breaking a tie in time); the addresses are the deciding pair's.
// Pure functions; who may pair is the caller's check (an admin, at the console).
import type { PeerPair, PeerUnpair } from './event.js';
import { compareStamps, type CatalogState, type Stamp } from './state.js';

export interface PeerEntry { peer: string; paired: boolean; addresses: string[]; by: string; stamp: Stamp }

/** A member as the peer layer sees it: its id, where to dial it, and who admitted it. */
export interface Member {
  peer: string;
  addresses: string[];
  /** The admin who paired it, and the node (catalog origin) where that happened. */
  admittedBy: { user: string; origin: string };
  /** ISO time of the pairing. */
  since: string;
}

export function applyPeer(state: CatalogState, paired: boolean, p: PeerPair | PeerUnpair, stamp: Stamp): void {
  const old = state.peers.get(p.peer);
  if (old && compareStamps(stamp, old.stamp) <= 0) return;
  state.peers.set(p.peer, { peer: p.peer, paired, addresses: 'addresses' in p ? [...p.addresses] : [], by: p.by, stamp });
}

/** Paired peers in id order. */
export function members(state: CatalogState): Member[] {
  return [...state.peers.values()]
    .filter((p) => p.paired)
    .sort((a, b) => (a.peer < b.peer ? -1 : 1))
    .map((p) => ({ peer: p.peer, addresses: [...p.addresses], admittedBy: { user: p.by, origin: p.stamp.origin }, since: p.stamp.time }));
}

export const isMember = (state: CatalogState, peer: string): boolean => state.peers.get(peer)?.paired === true;

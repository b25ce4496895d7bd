// Who may talk to this node: a set of peer ids. For now the caller fills it (tests, the
// console's pair/unpair later); the catalog will hold signed membership records and derive
// this set from them. Pure: no I/O, no libp2p. The node asks `has` from its connection
// gater on every connection, so a change takes effect for the next connection at once;
// closing the connections a change has made illegal is the node's enforceMembership().
import { publicKeyOfPeerId } from '../identity/index.js';

export class Membership {
  readonly #ids = new Set<string>();

  constructor(ids: Iterable<string> = []) {
    for (const id of ids) this.add(id);
  }

  /** Adds an Ed25519 peer id ("12D3KooW…"); anything else is COLONY_INVALID. True if new. */
  add(id: string): boolean {
    publicKeyOfPeerId(id); // validates
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    return true;
  }

  /** True if it was a member. */
  remove(id: string): boolean {
    return this.#ids.delete(id);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  get size(): number {
    return this.#ids.size;
  }

  /** Sorted, so listings are stable. */
  list(): string[] {
    return [...this.#ids].sort();
  }
}

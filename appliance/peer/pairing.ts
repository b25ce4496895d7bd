// The pairing code two admins compare before they pair, as Bluetooth numeric comparison
// and Syncthing device ids do: both sides compute it from the two peer ids alone, so a
// matching code on both screens means each side has the other's real id (a
// man-in-the-middle would have a different id, hence a different code). Pure.
import { createHash } from 'node:crypto';
import { invalid } from '../errors.js';
import { publicKeyOfPeerId } from '../identity/index.js';

export const PAIRING_GROUPS = 6;
export const PAIRING_DIGITS = 3;

/**
 * Six groups of three decimal digits ("123-456-…"), the same whichever side asks: the ids
 * are sorted, joined with a separator no peer id contains, and hashed with SHA-256; each
 * group is 16 bits of the digest reduced mod 1000 (bias under 2%, harmless for comparison).
 * About 60 bits in all. Pairing a node with itself is COLONY_INVALID.
 */
export function pairingCode(peerIdA: string, peerIdB: string): string {
  publicKeyOfPeerId(peerIdA);
  publicKeyOfPeerId(peerIdB);
  if (peerIdA === peerIdB) throw invalid(`a node cannot pair with itself (${peerIdA})`);
  const [lo, hi] = peerIdA < peerIdB ? [peerIdA, peerIdB] : [peerIdB, peerIdA];
  const digest = createHash('sha256').update(`colony-pairing-v1\n${lo}\n${hi}\n`).digest();
  const groups: string[] = [];
  for (let i = 0; i < PAIRING_GROUPS; i++) {
    groups.push(String(digest.readUInt16BE(2 * i) % 10 ** PAIRING_DIGITS).padStart(PAIRING_DIGITS, '0'));
  }
  return groups.join('-');
}

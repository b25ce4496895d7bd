// Event signatures. Every event a node writes is signed by its Ed25519 node key, so an
// event relayed through a third node cannot be forged or altered on the way.
//
// What is signed: a domain tag and the canonical JSON of (origin, seq, time, type,
// payload, signer), i.e. the stored event without `sig`. Who may sign an origin's events:
// - an origin that is itself a peer id is bound to that key (self-certifying);
// - any other origin (a data directory older than the node key keeps its random hex
//   DATA/node-id) is bound to the signer of its event #1, which every replica holds,
//   because replicas hold each origin's events without gaps.
// Pure functions, apart from the signer passed in.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ColonyError } from '../errors.js';
import { peerIdOf, publicKeyOfPeerId } from '../identity/index.js';
import type { CatalogEvent } from './event.js';

/** What can sign: the node identity (appliance/identity) is one. */
export interface Signer { publicKey: Buffer; sign(data: Uint8Array): Buffer }

const DOMAIN = 'colony/catalog-event/1\n';

export const signedBytes = (e: CatalogEvent, signer: string): Buffer =>
  Buffer.from(DOMAIN + JSON.stringify({ origin: e.origin, seq: e.seq, time: e.time, type: e.type, payload: e.payload, signer }));

export const isSigned = (e: CatalogEvent): boolean => e.sig !== undefined;

/** The event with its signature (any older one replaced). */
export function signEvent(e: CatalogEvent, signer: Signer): CatalogEvent {
  const id = peerIdOf(signer.publicKey);
  const { signer: _s, sig: _g, ...bare } = e;
  return { ...bare, signer: id, sig: signer.sign(signedBytes(e, id)).toString('base64') } as CatalogEvent;
}

export function isPeerId(origin: string): boolean {
  try { publicKeyOfPeerId(origin); return true; } catch { return false; }
}

const refused = (e: CatalogEvent, why: string) => new ColonyError('COLONY_AUTH', `event ${e.origin}#${e.seq} refused: ${why}`);

/**
 * Checks a remote event's signature. `bound` is the signer the origin is bound to when
 * the origin is not a peer id (undefined while its event #1 is not held: then #1 binds).
 * Throws COLONY_AUTH naming the event; `keys` caches parsed public keys across a batch.
 */
export function verifyEvent(e: CatalogEvent, bound: string | undefined, keys = new Map<string, KeyObject>()): void {
  if (e.sig === undefined || e.signer === undefined) throw refused(e, 'it is not signed (only the local log may hold unsigned events)');
  const expected = isPeerId(e.origin) ? e.origin : bound;
  if (expected !== undefined && e.signer !== expected) throw refused(e, `it is signed by ${e.signer}, but ${e.origin}'s events are signed by ${expected}`);
  if (expected === undefined && e.seq !== 1) throw refused(e, `the key of ${e.origin} is not known (its event #1 is not held)`);
  let key = keys.get(e.signer);
  if (!key) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKeyOfPeerId(e.signer).toString('base64url') }, format: 'jwk' });
    keys.set(e.signer, key);
  }
  if (!verify(null, signedBytes(e, e.signer), key, Buffer.from(e.sig, 'base64'))) throw refused(e, 'bad signature');
}

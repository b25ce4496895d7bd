// Catalog events: their shapes, their strict parsing, and how they are laid out in
// LevelDB. Every field is checked here, once, for events read back from disk and for
// events that arrive from peers alike.
import { ColonyError, invalid } from '../errors.js';
import { isScoreText } from '../store/index.js';
import { parseHash } from './password.js';
import { parsePublicKey } from './ssh-key.js';
import { publicKeyOfPeerId } from '../identity/index.js';
import { checkComment, checkMeta, checkName, checkOrigin, checkReason, checkUserName } from './syntax.js';

export type Role = 'admin' | 'user';

/**
 * `temporary: true` marks a one-time password (the first admin's): its holder must choose
 * a new one at the next login. Absent means an ordinary password, so events written
 * before the field existed read as they always did.
 */
export interface UserAdd { name: string; role: Role; passwordHash?: string; keys: string[]; temporary?: true }
export interface UserRemove { name: string }
export interface UserPassword { name: string; passwordHash: string; temporary?: true }
export interface UserKey { name: string; key: string }
export interface NameRegister { owner: string; name: string; root: string; comment: string; meta: Record<string, string> }
export interface NameGrant { owner: string; name: string; to: string }
/**
 * A tombstone: (owner, name) is forgotten for good (conflicts.ts). `root` is what the name
 * pointed at here, `by` who forgot it; `reason` is required of an admin forgetting someone
 * else's name (the catalog checks that; the event only checks its form).
 */
export interface NameForget { owner: string; name: string; root: string; by: string; reason?: string }
/** An admin (`by`, a user name) admits a peer node; `addresses` are dial hints (multiaddrs or host:port). */
export interface PeerPair { peer: string; addresses: string[]; by: string }
export interface PeerUnpair { peer: string; by: string }

export type EventBody =
  | { type: 'user.add'; payload: UserAdd }
  | { type: 'user.remove'; payload: UserRemove }
  | { type: 'user.password'; payload: UserPassword }
  | { type: 'user.key'; payload: UserKey }
  | { type: 'name.register'; payload: NameRegister }
  | { type: 'name.grant'; payload: NameGrant }
  | { type: 'name.forget'; payload: NameForget }
  | { type: 'peer.pair'; payload: PeerPair }
  | { type: 'peer.unpair'; payload: PeerUnpair };

export type EventType = EventBody['type'];

/**
 * The origin's signature (signing.ts): `signer` is the peer id of the Ed25519 key, `sig`
 * its signature (base64) over the event without `sig`. Both or neither: events written
 * before signing existed have neither, and only the local log may hold such events.
 */
export interface EventSignature { signer: string; sig: string }

/** One change. (origin, seq) identifies it; seq counts from 1 per origin with no gaps. */
export type CatalogEvent = { origin: string; seq: number; time: string } & EventBody & Partial<EventSignature>;

/** How far a replica has read each origin's events: origin → highest seq held. */
export type Vector = Record<string, number>;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function str(o: Obj, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw invalid(`field '${k}' must be a string`);
  return v;
}
function hash(o: Obj, k: string): string {
  const h = str(o, k);
  const parsed = parseHash(h);
  if (typeof parsed === 'string') throw invalid(`field '${k}': ${parsed}`);
  return h;
}
/** `temporary` is `true` or absent: one canonical form, so equal events encode equally. */
function temporary(o: Obj, hasPassword: boolean): { temporary?: true } {
  if (o.temporary === undefined) return {};
  if (o.temporary !== true) throw invalid(`field 'temporary' must be true when present`);
  if (!hasPassword) throw invalid(`field 'temporary' needs a password hash`);
  return { temporary: true };
}
function scoreText(o: Obj): string {
  const root = str(o, 'root');
  if (!isScoreText(root) || root !== root.toLowerCase() || root.trim() !== root) throw invalid(`field 'root' is not a score`);
  return root;
}
const key = (line: string) => {
  const k = parsePublicKey(line);
  if (k.line !== line) throw invalid('a stored key line is not in normal form');
  return line;
};

/** An error's reason without its code prefix, for wrapping it in another message. */
export const reason = (err: unknown): string => (err instanceof ColonyError ? err.detail : err instanceof Error ? err.message : String(err));

export function checkTime(time: unknown): string {
  if (typeof time !== 'string' || !ISO.test(time) || new Date(time).toISOString() !== time) {
    throw invalid(`bad event time ${JSON.stringify(time)}: expected ISO 8601 UTC with milliseconds`);
  }
  return time;
}

export function checkSeq(seq: unknown): number {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw invalid(`bad event seq ${JSON.stringify(seq)}: expected an integer ≥ 1`);
  return seq;
}

/** A peer id of an Ed25519 key ("12D3KooW…"), the only kind of node id a grid uses. */
export function checkPeerId(v: unknown, field = 'peer'): string {
  if (typeof v !== 'string' || v.length > 128) throw invalid(`field '${field}' must be a peer id`);
  try { publicKeyOfPeerId(v); } catch { throw invalid(`field '${field}' is not an Ed25519 peer id`); }
  return v;
}

const ADDRESS = /^[\x21-\x7e]{1,256}$/;
export const MAX_ADDRESSES = 16;
export function checkAddresses(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > MAX_ADDRESSES || v.some((a) => typeof a !== 'string' || !ADDRESS.test(a))) {
    throw invalid(`field 'addresses' must be at most ${MAX_ADDRESSES} printable addresses without spaces`);
  }
  return [...(v as string[])];
}

function signature(value: Obj): Partial<EventSignature> {
  if (value.signer === undefined && value.sig === undefined) return {};
  const signer = checkPeerId(value.signer, 'signer');
  const sig = value.sig;
  if (typeof sig !== 'string' || Buffer.from(sig, 'base64').length !== 64 || Buffer.from(sig, 'base64').toString('base64') !== sig) {
    throw invalid(`field 'sig' must be a 64-byte Ed25519 signature in base64`);
  }
  return { signer, sig };
}

/**
 * Parses an untrusted value into an event in canonical form (fixed field order, no
 * extra fields), or throws COLONY_INVALID saying which field is wrong. It checks the
 * signature's form only; signing.ts checks that it is right.
 */
export function parseEvent(value: unknown): CatalogEvent {
  if (!isObj(value)) throw invalid('an event must be an object');
  return { ...parseBody(value), ...signature(value) };
}

function parseBody(value: Obj): CatalogEvent {
  const origin = checkOrigin(value.origin);
  const seq = checkSeq(value.seq);
  const time = checkTime(value.time);
  const p = value.payload;
  if (!isObj(p)) throw invalid('an event payload must be an object');
  const head = { origin, seq, time };
  switch (value.type) {
    case 'user.add': {
      const role = p.role;
      if (role !== 'admin' && role !== 'user') throw invalid(`field 'role' must be 'admin' or 'user'`);
      if (!Array.isArray(p.keys) || p.keys.some((k) => typeof k !== 'string')) throw invalid(`field 'keys' must be an array of strings`);
      const payload: UserAdd = { name: checkUserName(p.name), role, keys: (p.keys as string[]).map(key) };
      if (p.passwordHash !== undefined) payload.passwordHash = hash(p, 'passwordHash');
      Object.assign(payload, temporary(p, payload.passwordHash !== undefined));
      return { ...head, type: 'user.add', payload };
    }
    case 'user.remove':
      return { ...head, type: 'user.remove', payload: { name: checkUserName(p.name) } };
    case 'user.password':
      return { ...head, type: 'user.password', payload: { name: checkUserName(p.name), passwordHash: hash(p, 'passwordHash'), ...temporary(p, true) } };
    case 'user.key':
      return { ...head, type: 'user.key', payload: { name: checkUserName(p.name), key: key(str(p, 'key')) } };
    case 'name.register': {
      const root = scoreText(p);
      return {
        ...head, type: 'name.register',
        payload: { owner: checkUserName(p.owner), name: checkName(p.name), root, comment: checkComment(p.comment), meta: checkMeta(p.meta) },
      };
    }
    case 'name.grant':
      return { ...head, type: 'name.grant', payload: { owner: checkUserName(p.owner), name: checkName(p.name), to: checkUserName(p.to) } };
    case 'name.forget': {
      const payload: NameForget = { owner: checkUserName(p.owner), name: checkName(p.name), root: scoreText(p), by: checkUserName(p.by) };
      if (p.reason !== undefined) payload.reason = checkReason(p.reason);
      return { ...head, type: 'name.forget', payload };
    }
    case 'peer.pair':
      return { ...head, type: 'peer.pair', payload: { peer: checkPeerId(p.peer), addresses: checkAddresses(p.addresses), by: checkUserName(p.by) } };
    case 'peer.unpair':
      return { ...head, type: 'peer.unpair', payload: { peer: checkPeerId(p.peer), by: checkUserName(p.by) } };
    default:
      throw invalid(`unknown event type ${JSON.stringify(value.type)}`);
  }
}

/** The one byte encoding of an event; parseEvent(JSON.parse(encode(e))) gives e back. */
export const encodeEvent = (e: CatalogEvent): Buffer =>
  Buffer.from(JSON.stringify({ origin: e.origin, seq: e.seq, time: e.time, type: e.type, payload: e.payload, ...(e.sig !== undefined ? { signer: e.signer, sig: e.sig } : {}) }));

// Keys: 0x01, the origin's bytes, 0x00, seq as uint64 big-endian. One origin's events
// are one contiguous range in seq order, so "origin X after seq N" is a single range read.
// 0x00 prefixes meta keys (the format version).
export const EVENT_PREFIX = 0x01;
export const META_PREFIX = 0x00;
const SEP = 0x00;

export function eventKey(origin: string, seq: number): Buffer {
  const o = Buffer.from(origin, 'latin1');
  const k = Buffer.alloc(1 + o.length + 1 + 8);
  k[0] = EVENT_PREFIX;
  o.copy(k, 1);
  k[1 + o.length] = SEP;
  k.writeBigUInt64BE(BigInt(seq), 2 + o.length);
  return k;
}

/** The key range holding `origin`'s events with seq > after. */
export function originRange(origin: string, after: number): { gt: Buffer; lt: Buffer } {
  const o = Buffer.from(origin, 'latin1');
  const lt = Buffer.concat([Buffer.from([EVENT_PREFIX]), o, Buffer.from([SEP + 1])]);
  return { gt: eventKey(origin, after), lt };
}

export const allEventsRange = () => ({ gte: Buffer.from([EVENT_PREFIX]), lt: Buffer.from([EVENT_PREFIX + 1]) });

/** Splits a stored key; the reason is returned, so the caller can name the key in its error. */
export function decodeEventKey(k: Buffer): { origin: string; seq: number } | string {
  if (k.length < 11 || k[0] !== EVENT_PREFIX) return 'not an event key';
  const sep = k.length - 9;
  if (k[sep] !== SEP) return 'no separator before the sequence number';
  const origin = k.subarray(1, sep).toString('latin1');
  const seq = k.readBigUInt64BE(sep + 1);
  if (seq < 1n || seq > BigInt(Number.MAX_SAFE_INTEGER)) return `sequence number ${seq} out of range`;
  try { checkOrigin(origin); } catch { return 'the origin in the key is malformed'; }
  return { origin, seq: Number(seq) };
}

/** How a key is named in messages: `origin#seq (hex)`, or just the hex when it does not decode. */
export function describeKey(k: Buffer): string {
  const d = decodeEventKey(k);
  return typeof d === 'string' ? `key ${k.toString('hex')}` : `event ${d.origin}#${d.seq} (key ${k.toString('hex')})`;
}

// The node id: the libp2p peer id of the node's Ed25519 public key, so that the id people
// see today is the one the peer layer will use. Following the libp2p peer-id spec: the key
// as the protobuf PublicKey { Type = Ed25519 (1), Data = 32 bytes }, which is short enough
// (36 bytes) to be carried whole in an identity multihash (code 0x00, length 0x24), written
// in base58btc. Every Ed25519 peer id therefore starts with "12D3KooW". Pure functions.
import { invalid } from '../errors.js';

const PROTOBUF_ED25519_PREFIX = Buffer.from([0x08, 0x01, 0x12, 0x20]);
const IDENTITY_MULTIHASH_PREFIX = Buffer.from([0x00, PROTOBUF_ED25519_PREFIX.length + 32]);
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** The peer id (base58btc, "12D3KooW…") of a raw 32-byte Ed25519 public key. */
export function peerIdOf(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw invalid(`an Ed25519 public key has 32 bytes, not ${publicKey.length}`);
  return base58btc(Buffer.concat([IDENTITY_MULTIHASH_PREFIX, PROTOBUF_ED25519_PREFIX, publicKey]));
}

/** The raw public key inside an Ed25519 peer id; throws COLONY_INVALID for anything else. */
export function publicKeyOfPeerId(id: string): Buffer {
  const bytes = fromBase58btc(id);
  const head = Buffer.concat([IDENTITY_MULTIHASH_PREFIX, PROTOBUF_ED25519_PREFIX]);
  if (bytes.length !== head.length + 32 || !bytes.subarray(0, head.length).equals(head)) throw invalid(`${id} is not an Ed25519 peer id`);
  return bytes.subarray(head.length);
}

export function base58btc(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while (n > 0n) { out = ALPHABET[Number(n % 58n)]! + out; n /= 58n; }
  return '1'.repeat(zeros) + out;
}

export function fromBase58btc(text: string): Buffer {
  let n = 0n;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) throw invalid(`'${ch}' is not a base58btc digit`);
    n = n * 58n + BigInt(digit);
  }
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  const hex = n === 0n ? '' : n.toString(16);
  return Buffer.concat([Buffer.alloc(zeros), Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex')]);
}

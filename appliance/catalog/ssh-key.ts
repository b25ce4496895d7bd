// OpenSSH public keys in their one-line form (`ssh-ed25519 AAAA… comment`). The blob is
// parsed field by field and the key is imported through node:crypto, so a line that only
// looks right (wrong embedded type, truncated point, off-curve point) is refused.
import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import { invalid } from '../errors.js';

export interface PublicKey {
  /** The algorithm name, as in the line and inside the blob. */
  type: string;
  /** The wire-format key blob; identity of a key is its blob, never its comment. */
  blob: Buffer;
  comment: string;
  /** `type base64 [comment]` with single spaces: what the catalog stores. */
  line: string;
  /** As `ssh-keygen -l` prints it: `SHA256:` and unpadded base64. */
  fingerprint: string;
}

const CURVES: Record<string, { curve: string; jwk: string; point: number }> = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', jwk: 'P-256', point: 65 },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', jwk: 'P-384', point: 97 },
  'ecdsa-sha2-nistp521': { curve: 'nistp521', jwk: 'P-521', point: 133 },
};
export const KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', ...Object.keys(CURVES)];
const RSA_MIN_BITS = 2048;
const MAX_LINE = 16 * 1024;

/** Reads SSH wire strings (uint32 length, bytes) from a blob, refusing any overrun. */
class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  string(what: string): Buffer {
    if (this.pos + 4 > this.buf.length) throw invalid(`the key blob ends before its ${what}`);
    const len = this.buf.readUInt32BE(this.pos);
    if (this.pos + 4 + len > this.buf.length) throw invalid(`the key blob ends inside its ${what}`);
    const out = this.buf.subarray(this.pos + 4, this.pos + 4 + len);
    this.pos += 4 + len;
    return out;
  }
  end(): void {
    if (this.pos !== this.buf.length) throw invalid(`the key blob has ${this.buf.length - this.pos} bytes after the key`);
  }
}

const b64url = (b: Buffer) => b.toString('base64url');
const stripZeros = (b: Buffer) => { let i = 0; while (i < b.length - 1 && b[i] === 0) i++; return b.subarray(i); };

/** Checks a blob and returns its type. */
export function checkKeyBlob(blob: Buffer): string {
  const r = new Reader(blob);
  const type = r.string('type').toString('latin1');
  let jwk: JsonWebKey;
  if (type === 'ssh-ed25519') {
    const pk = r.string('public key');
    if (pk.length !== 32) throw invalid(`an ssh-ed25519 key is 32 bytes, this one is ${pk.length}`);
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(pk) };
  } else if (type === 'ssh-rsa') {
    const e = stripZeros(r.string('exponent'));
    const n = stripZeros(r.string('modulus'));
    const bits = n.length * 8 - Math.clz32(n[0] ?? 0) + 24;
    if (bits < RSA_MIN_BITS) throw invalid(`the RSA key has ${Math.max(bits, 0)} bits; at least ${RSA_MIN_BITS} are needed`);
    jwk = { kty: 'RSA', n: b64url(n), e: b64url(e) };
  } else if (CURVES[type]) {
    const c = CURVES[type];
    const curve = r.string('curve name').toString('latin1');
    if (curve !== c.curve) throw invalid(`the ${type} key names curve '${curve}', expected '${c.curve}'`);
    const q = r.string('point');
    if (q.length !== c.point || q[0] !== 4) throw invalid(`the ${type} point is not an uncompressed ${c.point}-byte point`);
    const half = (c.point - 1) / 2;
    jwk = { kty: 'EC', crv: c.jwk, x: b64url(q.subarray(1, 1 + half)), y: b64url(q.subarray(1 + half)) };
  } else {
    throw invalid(`unsupported key type '${type.slice(0, 40)}' (supported: ${KEY_TYPES.join(', ')})`);
  }
  r.end();
  try {
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    throw invalid(`the ${type} key is not a valid public key`, err);
  }
  return type;
}

export const fingerprint = (blob: Buffer) => `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;

/** Parses one line of an OpenSSH public key file (not an authorized_keys line with options). */
export function parsePublicKey(text: string): PublicKey {
  if (typeof text !== 'string') throw invalid('a public key must be a string');
  if (text.length > MAX_LINE) throw invalid(`the public key line is over ${MAX_LINE} characters`);
  const line = text.trim();
  if (line.includes('\n') || line.includes('\r')) throw invalid('a public key is one line');
  const [type = '', data = '', ...rest] = line.split(/[ \t]+/);
  if (!KEY_TYPES.includes(type)) {
    throw invalid(`not an OpenSSH public key line: it starts with '${type.slice(0, 40)}', expected one of ${KEY_TYPES.join(', ')}`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) throw invalid(`the ${type} key's base64 data is malformed`);
  const blob = Buffer.from(data, 'base64');
  const embedded = checkKeyBlob(blob);
  if (embedded !== type) throw invalid(`the line says '${type}' but the key inside is '${embedded}'`);
  const comment = rest.join(' ');
  if (/\p{Cc}/u.test(comment)) throw invalid('the key comment contains control characters');
  return keyOf(blob, comment);
}

/** A key from its blob (as an SSH server sees it) and an optional comment. */
export function keyOf(blob: Buffer, comment = ''): PublicKey {
  const type = checkKeyBlob(blob);
  const base = `${type} ${blob.toString('base64')}`;
  return { type, blob: Buffer.from(blob), comment, line: comment ? `${base} ${comment}` : base, fingerprint: fingerprint(blob) };
}

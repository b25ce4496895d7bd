// Test keys made with node:crypto and written out in the OpenSSH one-line format, so the
// tests need no key files. ssh-ed25519 for most tests; ecdsa and rsa where the type matters.
import { generateKeyPairSync } from 'node:crypto';

export const sshString = (b: Buffer | string) => {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
};
const mpint = (b: Buffer) => sshString(b[0] !== undefined && b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const fromJwk = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');

export type KeyKind = 'ed25519' | 'ecdsa256' | 'ecdsa384' | 'rsa';

export function keyBlob(kind: KeyKind = 'ed25519', rsaBits = 2048): Buffer {
  if (kind === 'ed25519') {
    const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    return Buffer.concat([sshString('ssh-ed25519'), sshString(fromJwk(jwk.x))]);
  }
  if (kind === 'rsa') {
    const jwk = generateKeyPairSync('rsa', { modulusLength: rsaBits }).publicKey.export({ format: 'jwk' });
    return Buffer.concat([sshString('ssh-rsa'), mpint(fromJwk(jwk.e)), mpint(fromJwk(jwk.n))]);
  }
  const [curve, bits] = kind === 'ecdsa256' ? ['prime256v1', '256'] : ['secp384r1', '384'];
  const jwk = generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), fromJwk(jwk.x), fromJwk(jwk.y)]);
  return Buffer.concat([sshString(`ecdsa-sha2-nistp${bits}`), sshString(`nistp${bits}`), sshString(point)]);
}

export const typeOf = (blob: Buffer) => blob.subarray(4, 4 + blob.readUInt32BE(0)).toString();

export function keyLine(kind: KeyKind = 'ed25519', comment = 'someone@host'): string {
  const blob = keyBlob(kind);
  return `${typeOf(blob)} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** Cheap scrypt settings so tests do not spend seconds hashing. */
export const fastScrypt = { N: 1024, r: 8, p: 1 };

export const score = (n: number) => Buffer.alloc(32, n);

// The server's host key: an ed25519 key made with node:crypto at the first start, written
// in the OpenSSH private-key format (`openssh-key-v1`, unencrypted) with mode 0600, and
// read back on every later start so that clients keep trusting the same fingerprint.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { corruptData, fromSystemError } from '../../errors.js';
import { ensureDir } from '../../files.js';

export interface HostKey {
  /** The private key file's text, as ssh2's `hostKeys` takes it. */
  pem: string;
  /** The public key blob (`string "ssh-ed25519" string key`). */
  publicBlob: Buffer;
  /** `ssh-ed25519 AAAA… comment`. */
  publicLine: string;
  /** As `ssh-keygen -l` prints it: `SHA256:` and unpadded base64. */
  fingerprint: string;
  /** True when this call made the key. */
  created: boolean;
}

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';

const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const str = (b: Buffer | string) => { const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b; return Buffer.concat([u32(buf.length), buf]); };

export const fingerprintOf = (blob: Buffer) => `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;

/** Encodes an ed25519 key pair (32-byte seed, 32-byte public key) as an OpenSSH private key file. */
export function encodeOpenSshEd25519(seed: Buffer, pub: Buffer, comment: string): string {
  const publicBlob = Buffer.concat([str('ssh-ed25519'), str(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, str('ssh-ed25519'), str(pub), str(Buffer.concat([seed, pub])), str(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([MAGIC, str('none'), str('none'), str(''), u32(1), str(publicBlob), str(priv)]);
  const b64 = body.toString('base64').match(/.{1,70}/g) ?? [];
  return [BEGIN, ...b64, END, ''].join('\n');
}

/** The public blob of an OpenSSH private key file (the first public key in its header). */
export function publicBlobOf(pem: string): Buffer {
  const text = pem.trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) throw corruptData('the host key file is not an OpenSSH private key');
  const body = Buffer.from(text.slice(BEGIN.length, -END.length).replace(/\s+/g, ''), 'base64');
  if (!body.subarray(0, MAGIC.length).equals(MAGIC)) throw corruptData('the host key file has no openssh-key-v1 header');
  let pos = MAGIC.length;
  const next = (): Buffer => {
    if (pos + 4 > body.length) throw corruptData('the host key file is truncated');
    const len = body.readUInt32BE(pos);
    if (pos + 4 + len > body.length) throw corruptData('the host key file is truncated');
    const out = body.subarray(pos + 4, pos + 4 + len);
    pos += 4 + len;
    return out;
  };
  const cipher = next().toString('latin1');
  next(); // kdf
  next(); // kdf options
  if (cipher !== 'none') throw corruptData('the host key file is encrypted; a host key must be readable without a passphrase');
  if (pos + 4 > body.length || body.readUInt32BE(pos) !== 1) throw corruptData('the host key file must hold exactly one key');
  pos += 4;
  return Buffer.from(next());
}

function describe(pem: string, created: boolean): HostKey {
  const publicBlob = publicBlobOf(pem);
  const type = publicBlob.subarray(4, 4 + publicBlob.readUInt32BE(0)).toString('latin1');
  return { pem, publicBlob, publicLine: `${type} ${publicBlob.toString('base64')} colony-host`, fingerprint: fingerprintOf(publicBlob), created };
}

/**
 * Reads the host key at `path`, or makes one there when the file does not exist. The new
 * file is written to a temporary name with mode 0600 and renamed into place, so a crash
 * never leaves half a key behind.
 */
export async function loadOrCreateHostKey(path: string): Promise<HostKey> {
  try {
    return describe(await readFile(path, 'utf8'), false);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, `reading the host key ${path}`);
  }
  await ensureDir(dirname(path));
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const pem = encodeOpenSshEd25519(seed, pub, 'colony-host');
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(pem);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw fromSystemError(err, `writing the host key ${path}`);
  }
  return describe(pem, true);
}

// The node's long-term Ed25519 key, DATA/node_ed25519_key: made once at the first start
// and never replaced. It is a PKCS#8 PEM file (what `openssl pkey` reads), mode 0600.
// Creation is durable and exclusive: the key is written to a temporary file, fsynced,
// hard-linked into place (so two processes starting at once agree on one key: the
// second finds the first's file and reads it), and the directory is fsynced.
// A key file that exists but cannot be read or parsed is an error: a new key would be a
// new node, so it is never minted over a damaged one.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ColonyError, fromSystemError } from '../errors.js';
import { writeFileDurably } from '../files.js';
import { peerIdOf } from './peer-id.js';

export const KEY_FILE = 'node_ed25519_key';

export interface Identity {
  /** The libp2p peer id of the public key (base58btc, "12D3KooW…"). */
  nodeId: string;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
  /** Where the private key lives. */
  path: string;
  /** True when this call made the key (the first start). */
  created: boolean;
  sign(data: Uint8Array): Buffer;
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

function identityOf(privateKey: KeyObject, path: string, created: boolean): Identity {
  const pub = createPublicKey(privateKey);
  const raw = Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url');
  return {
    nodeId: peerIdOf(raw), publicKey: raw, path, created,
    sign: (data) => sign(null, data, privateKey),
    verify: (data, signature) => verify(null, data, pub, signature),
  };
}

/** Parses a key file's text; a file that is not an Ed25519 private key is COLONY_CORRUPT_DATA. */
export function parseKey(text: string, path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new ColonyError('COLONY_CORRUPT_DATA', `the node key ${path} is damaged (${(err as Error).message}); restore it from a backup, or move it away to give this node a new identity`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ColonyError('COLONY_CORRUPT_DATA', `the node key ${path} is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519; restore it from a backup, or move it away to give this node a new identity`);
  }
  return key;
}

async function readKey(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromSystemError(err, `reading the node key ${path} (it is this node's identity: fix its permissions, do not delete it)`);
  }
}

/** Loads DATA/node_ed25519_key, making it on the first start. */
export async function loadOrCreateIdentity(data: string): Promise<Identity> {
  const path = join(data, KEY_FILE);
  const existing = await readKey(path);
  if (existing !== undefined) return identityOf(parseKey(existing, path), path, false);
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  try {
    await writeFileDurably(path, pem, 0o600, { exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(err, `creating the node key ${path}`);
    const theirs = await readKey(path); // another process made it first: use that one
    if (theirs === undefined) throw fromSystemError(err, `creating the node key ${path}`);
    return identityOf(parseKey(theirs, path), path, false);
  }
  return identityOf(privateKey, path, true);
}

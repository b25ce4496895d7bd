// Node keys for tests: an Ed25519 key derived from a name, so a catalog reopened under the
// same name signs with the same key, as a real node's DATA/node_ed25519_key does.
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import type { Signer } from '../../../appliance/catalog/signing.js';
import { peerIdOf } from '../../../appliance/identity/index.js';

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

export function signerFor(name: string): Signer & { nodeId: string } {
  const seed = createHash('sha256').update(`colony test key ${name}`).digest();
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url');
  return { publicKey, nodeId: peerIdOf(publicKey), sign: (data) => sign(null, data, key) };
}

// The node id is the libp2p peer id of the Ed25519 public key: checked against the
// cross-implementation vector (seed 7e08…, public key 1ed1…, as in rust-libp2p's tests).
import { createPrivateKey, createPublicKey } from 'node:crypto';
import t from 'tap';
import { base58btc, fromBase58btc, peerIdOf, publicKeyOfPeerId } from '../../../appliance/identity/peer-id.js';

const SEED = '7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d';
const PUBLIC = '1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e';
const PEER_ID = '12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq';

t.test('the libp2p vector', async (t) => {
  // node:crypto derives the public key from the seed (PKCS#8 wrapping of a raw Ed25519 seed).
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(SEED, 'hex')]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  const raw = Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url');
  t.equal(raw.toString('hex'), PUBLIC);
  t.equal(peerIdOf(raw), PEER_ID);
  t.equal(publicKeyOfPeerId(PEER_ID).toString('hex'), PUBLIC);
});

t.test('base58btc round trips, leading zeros included', async (t) => {
  for (const hex of ['', '00', '0000ff', '61', '626262', '00010203fffe']) {
    const b = Buffer.from(hex, 'hex');
    t.same(fromBase58btc(base58btc(b)), b, hex || 'empty');
  }
  t.equal(base58btc(Buffer.from('hello world')), 'StV1DL6CwTryKyV');
});

t.test('refusals', async (t) => {
  t.throws(() => peerIdOf(Buffer.alloc(31)), { code: 'COLONY_INVALID' });
  t.throws(() => publicKeyOfPeerId('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'), { code: 'COLONY_INVALID' });
  t.throws(() => fromBase58btc('0OIl'), { code: 'COLONY_INVALID' });
});

import t from 'tap';
import { encodeEvent, parseEvent, type CatalogEvent } from '../../../appliance/catalog/event.js';
import { signEvent, verifyEvent } from '../../../appliance/catalog/signing.js';
import { signerFor } from './signers.js';

const alice = signerFor('alice-node');
const mallory = signerFor('mallory-node');
const base = (origin: string, seq = 1): CatalogEvent =>
  parseEvent({ origin, seq, time: '2026-01-01T00:00:00.000Z', type: 'user.add', payload: { name: 'bob', role: 'user', keys: [] } });

t.test('a signed event round-trips through its encoding and verifies', async (t) => {
  const e = signEvent(base(alice.nodeId), alice);
  t.equal(e.signer, alice.nodeId);
  const back = parseEvent(JSON.parse(encodeEvent(e).toString()));
  t.same(back, e);
  t.doesNotThrow(() => verifyEvent(back, undefined));
  t.same(parseEvent(JSON.parse(encodeEvent(base('x')).toString())), base('x'), 'an unsigned event encodes as before');
});

t.test('a changed field, a foreign key or a missing signature is refused', async (t) => {
  const e = signEvent(base(alice.nodeId), alice);
  const changed = { ...e, payload: { ...e.payload, role: 'admin' } } as CatalogEvent;
  t.throws(() => verifyEvent(changed, undefined), { code: 'COLONY_AUTH', message: /bad signature/ });
  t.throws(() => verifyEvent({ ...e, time: '2026-01-01T00:00:00.001Z' }, undefined), { code: 'COLONY_AUTH', message: /bad signature/ });
  const forged = signEvent(base(alice.nodeId), mallory);
  t.throws(() => verifyEvent(forged, undefined), { code: 'COLONY_AUTH', message: new RegExp(`signed by ${mallory.nodeId}, but ${alice.nodeId}'s events are signed by ${alice.nodeId}`) });
  t.throws(() => verifyEvent(base(alice.nodeId), undefined), { code: 'COLONY_AUTH', message: /not signed/ });
});

t.test('an origin that is not a peer id is bound to the signer of its event #1', async (t) => {
  const first = signEvent(base('legacy-hex-id', 1), alice);
  t.doesNotThrow(() => verifyEvent(first, undefined), 'event #1 binds');
  t.doesNotThrow(() => verifyEvent(signEvent(base('legacy-hex-id', 2), alice), alice.nodeId));
  t.throws(() => verifyEvent(signEvent(base('legacy-hex-id', 2), mallory), alice.nodeId), { code: 'COLONY_AUTH', message: /signed by/ });
  t.throws(() => verifyEvent(signEvent(base('legacy-hex-id', 2), mallory), undefined), { code: 'COLONY_AUTH', message: /event #1 is not held/ });
});

t.test('signatures are parsed strictly', async (t) => {
  const e = signEvent(base('o'), alice);
  t.throws(() => parseEvent({ ...e, sig: undefined }), { code: 'COLONY_INVALID', message: /sig/ });
  t.throws(() => parseEvent({ ...e, signer: undefined }), { code: 'COLONY_INVALID', message: /signer/ });
  t.throws(() => parseEvent({ ...e, signer: 'o' }), { code: 'COLONY_INVALID', message: /signer/ });
  t.throws(() => parseEvent({ ...e, sig: e.sig!.slice(4) }), { code: 'COLONY_INVALID', message: /64-byte/ });
  t.throws(() => parseEvent({ ...base('o'), type: 'peer.pair', payload: { peer: 'o', addresses: [], by: 'root' } }), { code: 'COLONY_INVALID', message: /peer id/ });
  t.throws(() => parseEvent({ ...base('o'), type: 'peer.pair', payload: { peer: alice.nodeId, addresses: ['a b'], by: 'root' } }), { code: 'COLONY_INVALID', message: /addresses/ });
});

// The pairing code as data: the same on both sides, different for another pair, a fixed
// shape, stable across releases (a change would make old and new nodes disagree).
import t from 'tap';
import { peerIdOf } from '../../../appliance/identity/index.js';
import { pairingCode } from '../../../appliance/peer/pairing.js';

const id = (n: number) => peerIdOf(Buffer.alloc(32, n));
const A = id(1), B = id(2), C = id(3);

t.test('the same whichever side computes it', async (t) => {
  t.equal(pairingCode(A, B), pairingCode(B, A));
  t.equal(pairingCode(A, C), pairingCode(C, A));
});

t.test('six groups of three digits', async (t) => {
  t.match(pairingCode(A, B), /^\d{3}(-\d{3}){5}$/);
});

t.test('another pair, another code', async (t) => {
  const codes = new Set<string>();
  for (let i = 1; i <= 40; i++) codes.add(pairingCode(A, id(100 + i)));
  t.equal(codes.size, 40, 'no two of 40 partners share a code');
  t.not(pairingCode(A, B), pairingCode(A, C));
});

t.test('stable: a pinned vector', async (t) => {
  t.equal(pairingCode(A, B), '135-966-161-718-113-001');
});

t.test('bad input', async (t) => {
  t.throws(() => pairingCode(A, A), { code: 'COLONY_INVALID', message: /cannot pair with itself/ });
  t.throws(() => pairingCode(A, 'QmNotAnEd25519Id'), { code: 'COLONY_INVALID' });
  t.throws(() => pairingCode('', B), { code: 'COLONY_INVALID' });
});

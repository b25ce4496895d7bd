// The membership set: only Ed25519 peer ids, add/remove report change, stable listing.
import t from 'tap';
import { peerIdOf } from '../../../appliance/identity/index.js';
import { Membership } from '../../../appliance/peer/membership.js';

const id = (n: number) => peerIdOf(Buffer.alloc(32, n));

t.test('add, has, remove, list', async (t) => {
  const m = new Membership([id(2)]);
  t.ok(m.has(id(2)));
  t.notOk(m.has(id(1)));
  t.equal(m.add(id(1)), true);
  t.equal(m.add(id(1)), false, 'adding twice changes nothing');
  t.equal(m.size, 2);
  t.same(m.list(), [id(1), id(2)].sort());
  t.equal(m.remove(id(2)), true);
  t.equal(m.remove(id(2)), false);
  t.notOk(m.has(id(2)));
  t.equal(m.size, 1);
});

t.test('only Ed25519 peer ids', async (t) => {
  const m = new Membership();
  t.throws(() => m.add('not-a-peer-id'), { code: 'COLONY_INVALID' });
  t.throws(() => new Membership(['QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N']), { code: 'COLONY_INVALID' });
  t.equal(m.size, 0);
});

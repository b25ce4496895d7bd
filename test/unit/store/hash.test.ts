import t from 'tap';
import { loadHash } from '../../../appliance/store/hash.js';

t.test('a view of shared memory hashes like the same bytes in an ordinary buffer', async (t) => {
  const { hash } = await loadHash();
  const shared = new Uint8Array(new SharedArrayBuffer(70_000), 100, 65_536).fill(7);
  t.same(hash(shared), hash(Buffer.alloc(65_536, 7)));
  t.equal(hash(Buffer.alloc(0)).toString('hex', 0, 4), 'af1349b9', 'BLAKE3 of nothing');
});

import t from 'tap';
import { BlockCache } from '../../../appliance/store/cache.js';

const block = (n: number) => ({ type: 0, data: Buffer.alloc(n) });

t.test('the cache evicts least recently used blocks to stay within its byte budget', async (t) => {
  const c = new BlockCache(300);
  c.set('a', block(100)); c.set('b', block(100)); c.set('c', block(100));
  t.ok(c.get('a'), 'a is touched, so b is now the oldest');
  c.set('d', block(100));
  t.equal(c.get('b'), undefined);
  t.ok(c.get('a')); t.ok(c.get('c')); t.ok(c.get('d'));
  t.equal(c.bytes, 300);
  t.equal(c.hits, 4); t.equal(c.misses, 1);
});

t.test('a block larger than the whole cache is not cached; replacing and deleting keep the count right', async (t) => {
  const c = new BlockCache(100);
  c.set('big', block(101));
  t.equal(c.size, 0);
  c.set('x', block(40)); c.set('x', block(60));
  t.equal(c.bytes, 60);
  c.delete('x'); c.delete('nothing');
  t.equal(c.bytes, 0);
  c.set('y', block(10)); c.clear();
  t.equal(c.size, 0);
});

t.test('with admitOnSecondTouch a block is cached only when offered again while its key is remembered', async (t) => {
  const c = new BlockCache(1 << 20, { admitOnSecondTouch: true });
  c.set('a', block(100));
  t.equal(c.get('a'), undefined, 'the first offer is only remembered');
  c.set('a', block(100));
  t.ok(c.get('a'), 'the second is admitted');
  c.set('a', block(50));
  t.equal(c.bytes, 50, 'a cached block is replaced at once');
  // The remembered keys are bounded (256 at least, about two per 64 KiB of budget): the oldest is forgotten.
  c.set('old', block(10));
  for (let i = 0; i < 256; i++) c.set(`k${i}`, block(10));
  c.set('old', block(10));
  t.equal(c.get('old'), undefined, 'forgotten, so this offer counts as a first one again');
  c.set('k255', block(10));
  t.ok(c.get('k255'), 'a recent key is still remembered');
  c.clear();
  c.set('k254', block(10));
  t.equal(c.get('k254'), undefined, 'clear forgets the remembered keys too');
});

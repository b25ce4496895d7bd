// putEncoded: a block hashed and encoded off the store (the import's workers) is stored
// exactly as `put` would have stored it, dedups like it, and a mismatched encoding is refused.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { CODEC_NONE, codecFlags, encodeBlock } from '../../../appliance/store/codec.js';
import { loadHash } from '../../../appliance/store/hash.js';
import { tmpStore } from '../../helpers/tmp.js';

const text = (n: number) => Buffer.from('some text that compresses well, '.repeat(Math.ceil(n / 32))).subarray(0, n);

t.test('an encoded put stores what put would, and dedups against it', async (t) => {
  const { hash } = await loadHash();
  const { store: a } = await tmpStore(t);
  const { store: b } = await tmpStore(t);
  const blocks = [text(64 << 10), randomBytes(64 << 10), text(100), Buffer.alloc(0)];
  for (const data of blocks) {
    const { flags, stored } = encodeBlock(b.writeCodec, data);
    const score = await b.putEncoded(7, hash(data), flags, stored, data.length);
    t.same(score, await a.put(7, data), `${data.length} bytes: the same score`);
    t.same(await b.getBlock(score), { type: 7, data }, 'reads back');
  }
  const [sa, sb] = [await a.stats(), await b.stats()];
  t.same([sb.blocks, sb.bytes, sb.diskBytes], [sa.blocks, sa.bytes, sa.diskBytes], 'the same blocks and disk bytes');
  const again = encodeBlock(b.writeCodec, blocks[0]!);
  await b.putEncoded(7, hash(blocks[0]!), again.flags, again.stored, blocks[0]!.length);
  t.equal((await b.stats()).blocks, sb.blocks, 'a block held already is not written again');
  await b.sync();
  t.same((await b.get(hash(blocks[0]!))), blocks[0], 'after a sync too');
});

t.test('an encoding the store would not have written is refused', async (t) => {
  const { hash } = await loadHash();
  const { store } = await tmpStore(t);
  const data = text(64 << 10);
  const { flags, stored } = encodeBlock(store.writeCodec, data);
  await t.rejects(store.putEncoded(1, hash(data), flags, stored, data.length + 1), { code: 'COLONY_INVALID' }, 'wrong size');
  await t.rejects(store.putEncoded(1, hash(data), 0, stored, data.length), { code: 'COLONY_INVALID' }, 'compressed bytes as raw');
  await t.rejects(store.putEncoded(1, hash(data), codecFlags(store.writeCodec) | 1, stored, data.length), { code: 'COLONY_INVALID' }, 'reserved bits');
  await t.rejects(store.putEncoded(1, hash(data).subarray(0, 16), flags, stored, data.length), { code: 'COLONY_INVALID' }, 'short score');
  await t.rejects(store.putEncoded(1, hash(data), flags, stored, (2 << 20)), { code: 'COLONY_TOO_LARGE' }, 'over the limit');
  const { store: off } = await tmpStore(t, { compress: 'off' });
  t.equal(off.writeCodec, CODEC_NONE);
  await t.rejects(off.putEncoded(1, hash(data), flags, stored, data.length), { code: 'COLONY_INVALID' }, 'compressed for a store that does not compress');
  t.equal((await store.stats()).blocks + (await off.stats()).blocks, 0, 'nothing stored');
});

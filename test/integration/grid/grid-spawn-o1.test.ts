// Spawn is O(1): a 1 MiB snapshot and a large one (a 2 GiB sparse file, 8 MiB of data and
// 20,000 files in 200 directories) cost the same few block reads at spawn.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULT_BLOCK_SIZE, FORMAT_VERSION, ROOT, ZERO_SCORE, blankEntry, encodeRoot, importDirectory, writeContent, writeDirectory, type Entry } from '../../../appliance/snapshot/index.js';
import type { BlockStore, Score } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { getFile, openWorld } from './helpers.js';

/** Counts every block the grid reads from the store. */
function counting() {
  const count = { reads: 0 };
  const wrap = (raw: BlockStore): BlockStore => new Proxy(raw, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      if (prop === 'get' || prop === 'getBlock') return (...a: unknown[]) => { count.reads++; return fn(...a); };
      if (prop === 'getMany') return (s: unknown[]) => { count.reads += s.length; return fn(s); };
      return fn;
    },
  });
  return { count, wrap };
}

async function largeTree(store: BlockStore): Promise<Score> {
  const bs = DEFAULT_BLOCK_SIZE;
  const top: Entry[] = [];
  for (let d = 0; d < 200; d++) {
    const files: Entry[] = [];
    for (let f = 0; f < 100; f++) files.push({ ...blankEntry('file', `f${String(f).padStart(3, '0')}`), size: 12, inline: Buffer.from(`file ${d}/${f}\n`.padEnd(12, '.')) });
    const dir = await writeDirectory(store, files, bs);
    top.push({ ...blankEntry('dir', `d${String(d).padStart(3, '0')}`), size: dir.size, score: dir.score });
  }
  const data = await writeContent(store, randomBytes(8 << 20), bs);
  top.push({ ...blankEntry('file', 'data.bin'), size: data.size, score: data.score });
  top.push({ ...blankEntry('file', 'sparse.img'), size: 2 ** 31, score: ZERO_SCORE });
  top.sort((a, b) => Buffer.compare(a.name, b.name));
  const dir = await writeDirectory(store, top, bs);
  const root = encodeRoot({
    version: FORMAT_VERSION, blockSize: bs, top: { ...blankEntry('dir'), size: dir.size, score: dir.score }, parent: null,
    created: 1n, comment: 'large', meta: {},
  });
  return store.put(ROOT, root);
}

t.test('blocks read at spawn do not grow with the snapshot', async (t) => {
  const c = counting();
  const w = await openWorld(t, { perUser: 10, ramBudgetBytes: 10_000 << 20 }, { store: c.wrap });
  const src = await tmpDir(t);
  await mkdir(join(src, 'small'));
  await writeFile(join(src, 'small', 'one.bin'), randomBytes(1 << 20));
  const small = (await importDirectory(w.store, join(src, 'small'), { xattrs: false })).root;
  await w.catalog.registerName({ owner: 'alice', name: 'small', root: small });
  await w.catalog.registerName({ owner: 'alice', name: 'large', root: await largeTree(w.store) });

  const reads: Record<string, number> = {};
  for (const name of ['small', 'large']) {
    for (const cache of ['ram', 'disk'] as const) {
      c.count.reads = 0;
      const s = await w.grid.spawn('alice', name, { cache, as: `${name}-${cache}` });
      reads[`${name}-${cache}`] = c.count.reads;
      t.equal(w.grid.environment('alice', s.env.name).volume.stats().bytesFetched, 0, `${name} ${cache}: no content fetched`);
    }
  }
  t.comment(`blocks read at spawn: ${JSON.stringify(reads)}`);
  for (const [k, n] of Object.entries(reads)) t.ok(n <= 2, `${k}: ${n} block read(s), at most 2`);
  t.equal(reads['large-ram'], reads['small-ram'], 'the same for 1 MiB and for the large tree');

  // The large tree is real: its far corners read back.
  const vol = w.grid.environment('alice', 'large-ram').volume;
  t.equal(await getFile(vol, 'd199/f099'), 'file 199/99\n');
  const sparse = await vol.resolvePath('sparse.img');
  t.equal((await vol.getattr(sparse.ino)).size, 2 ** 31);
  t.ok((await vol.read(sparse.ino, 2 ** 31 - 16, 16)).equals(Buffer.alloc(16)));
});

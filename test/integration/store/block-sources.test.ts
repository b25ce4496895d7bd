// Every BlockSource implementation keeps the one contract (test/conformance/block-source.ts):
// the store on real arenas and LevelDB, and the in-memory source. A new source (a cache, the
// peer fetcher) is added to this list.
import t, { type Test } from 'tap';
import { MemoryBlockSource, type BlockSource } from '../../../appliance/store/index.js';
import { blockSourceSuite } from '../../conformance/block-source.js';
import { tmpStore } from '../../helpers/tmp.js';

const sources: Array<[string, (t: Test) => Promise<BlockSource>]> = [
  ['BlockStore', async (t) => (await tmpStore(t)).store],
  ['MemoryBlockSource', () => MemoryBlockSource.create()],
];

for (const [name, make] of sources) t.test(`${name} keeps the block source contract`, async (t) => blockSourceSuite(t, make));

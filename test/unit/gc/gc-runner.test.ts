// The runner's order of effects against a small fake store (the real one is in
// test/integration/gc): the collection begins before the roots are gathered and ends
// whatever happens; a dry run compacts nothing; a failure releases the one-run lock.
import t from 'tap';
import { collectGarbage, type CollectableStore } from '../../../appliance/gc/index.js';
import { silentLog } from '../../../appliance/log.js';

function fake(calls: string[], opts: { beginThrows?: boolean } = {}): CollectableStore {
  const dead = Buffer.alloc(32, 7);
  return {
    getBlock: async () => { throw new Error('no tree blocks here'); },
    arenaUsage: async () => { calls.push('arenaUsage'); return [{ number: 0, sealed: true, fileBytes: 1000, indexedBlocks: 1, indexedBytes: 900 }, { number: 1, sealed: false, fileBytes: 10, indexedBlocks: 0, indexedBytes: 0 }]; },
    indexEntries: async function* () { calls.push('indexEntries'); yield { score: dead, arena: 0, bytes: 900, type: 3 }; },
    beginCollection: () => {
      calls.push('begin');
      if (opts.beginThrows) throw new Error('the store is closed');
      return { touched: () => false, end: () => { calls.push('end'); } };
    },
    compactArena: async (n) => { calls.push(`compact ${n}`); return { movedBlocks: 0, movedBytes: 0, droppedBlocks: 1, droppedBytes: 900, freedBytes: 1000 }; },
  };
}

t.test('begin, gather, count, compact the dead arena, end', async (t) => {
  const calls: string[] = [];
  const report = await collectGarbage({ store: fake(calls), log: silentLog, roots: async () => { calls.push('roots'); return { roots: [], scores: [] }; } });
  t.same(calls, ['begin', 'roots', 'arenaUsage', 'indexEntries', 'compact 0', 'end']);
  t.same({ remove: report.remove, freedBytes: report.freedBytes, writtenBytes: report.writtenBytes }, { remove: [0], freedBytes: 1000, writtenBytes: 0 });
});

t.test('a dry run plans the same and compacts nothing', async (t) => {
  const calls: string[] = [];
  const report = await collectGarbage({ store: fake(calls), log: silentLog, dryRun: true, roots: async () => ({ roots: [], scores: [] }) });
  t.notOk(calls.some((c) => c.startsWith('compact')));
  t.same({ remove: report.remove, bytesToFree: report.bytesToFree, freedBytes: report.freedBytes }, { remove: [0], bytesToFree: 1000, freedBytes: 0 });
});

t.test('a failure ends the collection and releases the lock', async (t) => {
  const calls: string[] = [];
  const store = fake(calls);
  await t.rejects(collectGarbage({ store, log: silentLog, roots: async () => { throw new Error('catalog closed'); } }), /catalog closed/);
  t.same(calls, ['begin', 'end']);
  const broken = fake([], { beginThrows: true });
  await t.rejects(collectGarbage({ store: broken, log: silentLog, roots: async () => ({ roots: [], scores: [] }) }), /closed/);
  await t.rejects(collectGarbage({ store: broken, log: silentLog, roots: async () => ({ roots: [], scores: [] }) }), /closed/, 'not COLONY_LOCKED: the failed run let go');
  await collectGarbage({ store, log: silentLog, dryRun: true, roots: async () => ({ roots: [], scores: [] }) });
  t.pass('the store can be collected again');
});

// The receiver's stats as `peers` shows them, between real nodes on loopback: while the
// sender holds back (it stalls after 120 blocks), the lag is counted in bytes and blocks and
// the received counts are exact; after it lets go, every block is counted once, the lag is
// 0 and the receiver is idle. A long sync logs its progress (info) with a percent.
import t from 'tap';
import { startBlockReplication } from '../../../appliance/peer/index.js';
import { eventually, fill, pair, site, wrapStore } from './blocks-helpers.js';

t.test('lag, counts, rate and state of a receiver during and after a sync', async (t) => {
  // Uncompressed: the lag in blocks is estimated from record sizes on disk, exact only when they are all alike.
  const [a, b] = [await site(t, { compress: 'off' }), await site(t, { compress: 'off' })];
  await pair(a, b);
  const SIZE = 2000;
  const scores = await fill(a.store, 300, 'a', SIZE);
  const serveStore = wrapStore(a.store);
  let served = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const getBlock = serveStore.getBlock;
  serveStore.getBlock = async (score) => { if (++served > 120) await gate; return getBlock(score); };
  const ra = await startBlockReplication({ node: a.node, store: a.store, serveStore, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const rb = await startBlockReplication({
    node: b.node, store: b.store, cursorsPath: `${b.data}/peer/cursors.json`, log: b.log, peers: () => b.node.connectedPeers(),
    receiver: { pollMs: 600_000, pageLimit: 100, maxScores: 20, progressLogMs: 0 },
  });
  t.teardown(() => rb.stop());
  const of = () => rb.stats().receivers[a.node.peerId];
  const log = (await a.store.entriesSince(0, { limit: 300 })).entries;
  // The 120th block ends a batch (20 a batch): once it is synced the cursor passes it. Wait
  // for that, not for the count alone, which comes before the batch's sync and cursor save.
  t.ok(await eventually(() => of()?.fetched === 120 && of()?.cursor === log[120]!.pos), 'B received and settled the 120 blocks A served before stalling');
  const mid = of()!;
  t.equal(mid.fetched, 120);
  t.equal(mid.fetchedBytes, 120 * SIZE, 'bytes received, exactly');
  t.equal(mid.state, 'syncing');
  t.equal(mid.peerHead, a.store.logHead(), 'A\'s head as B heard it');
  t.equal(mid.lagBytes, a.store.logHead() - mid.cursor!);
  t.ok(mid.lagBlocks! > 0 && mid.lagBlocks! === 180, `lag in blocks: ${mid.lagBlocks} (estimated from entry sizes)`);
  t.equal(mid.percent, 40);
  t.ok(mid.rateBytesPerSec > 0, 'a transfer rate');

  release();
  t.ok(await eventually(() => of()?.lagBytes === 0 && of()?.state === 'idle'), 'caught up');
  const end = of()!;
  t.equal(end.fetched, 300, 'each block counted once');
  t.equal(end.fetchedBytes, 300 * SIZE);
  t.equal(end.lagBlocks, 0);
  t.equal(end.cursor, a.store.logHead());
  t.equal(end.percent, undefined, 'no percent when idle');
  t.ok((await b.store.hasMany(scores)).every(Boolean));
  const progress = b.logged.filter((l) => l.level === 'info' && /^replicating from the peer: \d+%/.test(l.msg));
  t.ok(progress.length >= 1, `${progress.length} progress lines`);
  t.ok(b.logged.some((l) => l.msg === 'caught up with the peer'), 'and one when caught up');
});

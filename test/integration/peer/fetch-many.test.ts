// PeerBlockSource.fetchMany (a lazy node's save makes its tree whole with it): the scores
// the store lacks go to each peer in turn, in batches of FETCH_MANY_BATCH over one session,
// and only what one peer did not serve is asked of the next; a lying peer's block is
// rejected and the next peer serves it; a score nobody has fails as a miss does.
import t, { type Test } from 'tap';
import { FETCH_MANY_BATCH, PeerBlockSource, startBlockReplication } from '../../../appliance/peer/index.js';
import type { Score } from '../../../appliance/store/index.js';
import { allHeld, fill, pair, site, wrapStore, type Site } from './blocks-helpers.js';

/** `s` serves its store, counting each block it sends (and falsifying with `lie`). */
async function serve(t: Test, s: Site, lie?: (score: Score) => boolean) {
  const sent = { blocks: 0 };
  const r = await startBlockReplication({
    node: s.node, store: s.store, cursorsPath: `${s.data}/peer/cursors.json`, log: s.log, peers: () => [],
    serveStore: wrapStore(s.store, {
      getBlock: (score, block) => {
        sent.blocks++;
        if (!lie?.(score)) return block;
        const data = Buffer.from(block.data);
        data[0] = data[0]! ^ 0xff;
        return { type: block.type, data };
      },
    }),
  });
  t.teardown(() => r.stop());
  return sent;
}

t.test('600 scores, 10 held, C has the first 300 and A all: C serves 290, A only the other 300', async (t) => {
  const [a, b, c] = [await site(t), await site(t), await site(t)];
  await pair(a, b);
  await pair(c, b);
  const scores = await fill(a.store, 600, 'a');
  await fill(c.store, 300, 'a');
  await fill(b.store, 10, 'a');
  const [fromA, fromC] = [await serve(t, a), await serve(t, c)];
  const src = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [c.node.peerId, a.node.peerId], log: b.log });
  t.equal(await src.fetchMany(scores), 590, 'fetched the 590 not held');
  t.ok(await allHeld(b.store, scores), 'B holds all 600');
  t.same({ c: fromC.blocks, a: fromA.blocks }, { c: 290, a: 300 }, 'each block crossed once');
  t.same(src.stats(), { fetches: Math.ceil(590 / FETCH_MANY_BATCH) + Math.ceil(300 / FETCH_MANY_BATCH), fetched: 590, rejected: 0, failed: 0 },
    'requests: C asked for all 590, A for the 300 C lacked, FETCH_MANY_BATCH a request');
  t.equal(await src.fetchMany(scores), 0, 'again: nothing to fetch, no request');
});

t.test('a lying C: its block is rejected, nothing false stored, A serves the rest', async (t) => {
  const [a, b, c] = [await site(t), await site(t), await site(t)];
  await pair(a, b);
  await pair(c, b);
  const scores = await fill(a.store, 40, 'a');
  await fill(c.store, 40, 'a');
  const bad = scores[5]!;
  await serve(t, a);
  await serve(t, c, (s) => s.equals(bad));
  const src = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [c.node.peerId, a.node.peerId], log: b.log });
  t.equal(await src.fetchMany(scores), 40, 'all 40 fetched');
  t.ok(await allHeld(b.store, scores), 'and held');
  t.same((await b.store.getBlock(bad)).data, (await a.store.getBlock(bad)).data, 'the lied-about block holds A\'s bytes');
  t.equal(src.stats().rejected, 1, 'one block rejected');
  t.ok(b.logged.some((l) => l.level === 'warn' && /do not match its score/.test(l.msg)), 'a warning names it');
});

t.test('scores nobody has: COLONY_NOT_FOUND, or COLONY_IO with absent io; what could be fetched is kept', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const scores = await fill(a.store, 5, 'a');
  await serve(t, a);
  const nowhere = Buffer.alloc(32, 7) as Score;
  const src = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [a.node.peerId], log: b.log });
  await t.rejects(src.fetchMany([...scores, nowhere]), { code: 'COLONY_NOT_FOUND' });
  t.ok(await allHeld(b.store, scores), 'the five A has were stored');
  const io = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [a.node.peerId], absent: 'io', log: b.log });
  await t.rejects(io.fetchMany([nowhere]), { code: 'COLONY_IO', message: /1 of them/ });
  const alone = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [], absent: 'io', log: b.log });
  await t.rejects(alone.fetchMany([nowhere]), { code: 'COLONY_IO', message: /no member peer/ });
});

// PeerBlockSource: a local miss is fetched from a member peer over /colony/blocks/1,
// verified and stored; concurrent misses share one fetch; a stopped peer or a lying one
// fails the read with COLONY_IO (EIO over 9P) and stores nothing.
import t, { type Test } from 'tap';
import { isColonyError } from '../../../appliance/errors.js';
import { errnoFor } from '../../../appliance/ninep/errno.js';
import { PeerBlockSource, startBlockReplication } from '../../../appliance/peer/index.js';
import { BLOCK_PROTOCOL } from '../../../appliance/peer/block-protocol.js';
import type { Score } from '../../../appliance/store/index.js';
import { blockSourceSuite } from '../../conformance/block-source.js';
import { eventually, fill, pair, site, wrapStore, type Site } from './blocks-helpers.js';

/** A serves its store (through `hooks`), receiving from nobody. */
async function serve(t: Test, a: Site, hooks: Parameters<typeof wrapStore>[1] = {}) {
  const ra = await startBlockReplication({ node: a.node, store: a.store, serveStore: wrapStore(a.store, hooks), cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  return ra;
}

t.test('B reads a block only A has: the right bytes, and B stores it', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const [score] = await fill(a.store, 1, 'a');
  await serve(t, a);
  const src = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [a.node.peerId], log: b.log });
  t.notOk(await b.store.has(score!));
  const got = await src.getBlock(score!);
  t.same(got.data, await a.store.get(score!), 'the same bytes');
  t.equal(got.type, 1);
  t.ok(await b.store.has(score!), 'B now holds it');
  t.same(src.stats(), { fetches: 1, fetched: 1, rejected: 0, failed: 0 });
  t.same(await src.get(score!), got.data, 'a second read is local');
  t.equal(src.stats().fetches, 1);
});

t.test('two concurrent reads of one missing score: one fetch on A', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const [score] = await fill(a.store, 1, 'a');
  let served = 0;
  await serve(t, a, { getBlock: (_s, block) => { served++; return block; } });
  const src = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [a.node.peerId], log: b.log });
  const [x, y] = await Promise.all([src.get(score!), src.get(score!)]);
  t.same(x, y);
  t.equal(served, 1, 'A served the block once');
  t.equal(src.stats().fetches, 1);
});

t.test('a block no peer has: COLONY_NOT_FOUND', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  await serve(t, a);
  const src = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [a.node.peerId], log: b.log });
  const nowhere = Buffer.alloc(32, 7) as Score;
  await t.rejects(src.get(nowhere), { code: 'COLONY_NOT_FOUND' });
  const alone = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [], log: b.log });
  await t.rejects(alone.get(nowhere), { code: 'COLONY_NOT_FOUND' }, 'no peers: the local miss');
});

t.test('A stopped: the read fails with COLONY_IO (EIO), it does not hang', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const [score] = await fill(a.store, 1, 'a');
  await serve(t, a);
  await a.node.stop();
  const src = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [a.node.peerId], timeoutMs: 500, log: b.log });
  const err = await src.get(score!).then(() => undefined, (e: unknown) => e);
  t.ok(isColonyError(err, 'COLONY_IO'), `COLONY_IO, got ${(err as Error)?.message}`);
  t.equal(errnoFor(err), 5, 'EIO over 9P');
  t.notOk(await b.store.has(score!));
});

t.test('a lying A: the bytes are rejected, nothing stored, EIO, a warning', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const [score] = await fill(a.store, 1, 'a');
  await serve(t, a, {
    getBlock: (_s, block) => {
      const data = Buffer.from(block.data);
      data[3] = data[3]! ^ 0xff;
      return { type: block.type, data };
    },
  });
  const src = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [a.node.peerId], timeoutMs: 5_000, log: b.log });
  await t.rejects(src.get(score!), { code: 'COLONY_IO' });
  t.notOk(await b.store.has(score!), 'nothing stored');
  t.equal(src.stats().rejected, 1);
  t.ok(b.logged.find((l) => l.level === 'warn' && l.peer === a.node.peerId), 'a warning names the peer');
});

t.test('a silent A (never says hello): the read fails with COLONY_IO after timeoutMs, the stream is aborted', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const [score] = await fill(a.store, 1, 'a');
  let opened = 0;
  let ended = 0;
  await a.node.handle(BLOCK_PROTOCOL, async (stream) => {
    opened++;
    // Say nothing; read until B gives up (its abort ends this loop).
    try { for await (const _ of stream) { /* ignore */ } } catch { /* aborted */ }
    ended++;
  });
  const src = new PeerBlockSource({ local: b.store, node: b.node, peers: () => [a.node.peerId], timeoutMs: 500, log: b.log });
  const err = await src.get(score!).then(() => undefined, (e: unknown) => e);
  t.ok(isColonyError(err, 'COLONY_IO'), `COLONY_IO, got ${(err as Error)?.message}`);
  t.match((err as Error).message, /timed out/);
  t.equal(errnoFor(err), 5, 'EIO over 9P');
  t.equal(opened, 1);
  t.ok(await eventually(() => ended === 1), 'B aborted the stream');
  t.notOk(await b.store.has(score!));
});

t.test('the BlockSource conformance suite (a node with no peers)', async (t) => {
  blockSourceSuite(t, async (t) => {
    const b = await site(t);
    return new PeerBlockSource({ local: b.store, node: b.node, peers: () => [], log: b.log });
  });
});

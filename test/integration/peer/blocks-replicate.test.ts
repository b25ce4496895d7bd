// /colony/blocks/1 between real peer nodes on loopback: a full replication with the cursor
// persisted, a restart that resumes (fetches counted on the sender), new blocks pushed by
// the sender's head notice (the receiver polls only every 10 minutes here), and an
// unpaired node whose handler is never called.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { startBlockReplication } from '../../../appliance/peer/index.js';
import { BLOCK_PROTOCOL } from '../../../appliance/peer/block-protocol.js';
import { allHeld, eventually, fill, pair, site, wrapStore } from './blocks-helpers.js';

const SLOW_POLL = { pollMs: 600_000, backoffMinMs: 50, backoffMaxMs: 200 };

t.test('B replicates A\'s 500 blocks, verified, and persists its cursor at A\'s head', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const scores = await fill(a.store, 500, 'a');
  const ra = await startBlockReplication({ node: a.node, store: a.store, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const cursorsPath = `${b.data}/peer/cursors.json`;
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath, log: b.log, peers: () => b.node.connectedPeers(), receiver: SLOW_POLL });
  t.teardown(() => rb.stop());
  t.ok(await eventually(() => allHeld(b.store, scores)), 'every block is on B');
  t.ok(await eventually(async () => {
    const doc = JSON.parse(await readFile(cursorsPath, 'utf8').catch(() => '{}'));
    return doc.peers?.[a.node.peerId]?.pos === a.store.logHead();
  }), 'the cursor file holds A\'s head');
  const doc = JSON.parse(await readFile(cursorsPath, 'utf8'));
  t.same(doc.peers[a.node.peerId], { epoch: a.store.epoch, pos: a.store.logHead() });
  t.equal(ra.stats().sender.blocksSent, 500, 'each block sent once');
  for (const s of scores.slice(0, 20)) t.same(await b.store.get(s), await a.store.get(s));
  const report = await b.store.verify();
  t.ok(report.ok, 'B\'s store verifies');
  t.equal(report.records, 500);
});

t.test('a restarted receiver resumes from its cursor file and re-fetches at most one batch', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const scores = await fill(a.store, 500, 'a');
  const froms: number[] = [];
  const serveStore = wrapStore(a.store, { entriesSince: (from) => froms.push(from) });
  // The sender stalls inside the fifth page (pages of 50, batches of 25) until B is stopped.
  let served = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const getBlock = serveStore.getBlock;
  serveStore.getBlock = async (score) => { if (++served > 210) await gate; return getBlock(score); };
  const ra = await startBlockReplication({ node: a.node, store: a.store, serveStore, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const cursorsPath = `${b.data}/peer/cursors.json`;
  const receiver = { ...SLOW_POLL, pageLimit: 50, maxScores: 25 };
  const first = await startBlockReplication({ node: b.node, store: b.store, cursorsPath, log: b.log, peers: () => b.node.connectedPeers(), receiver });
  t.ok(await eventually(() => served > 210), 'part-way');
  await first.stop();
  const sentBefore = ra.stats().sender.blocksSent;
  t.equal(sentBefore, 210, 'stopped inside a page');
  release();
  const doc = JSON.parse(await readFile(cursorsPath, 'utf8'));
  t.ok(doc.peers[a.node.peerId].pos > 0, 'a cursor was saved');
  const pagesBefore = froms.length;

  const second = await startBlockReplication({ node: b.node, store: b.store, cursorsPath, log: b.log, peers: () => b.node.connectedPeers(), receiver });
  t.teardown(() => second.stop());
  t.ok(await eventually(() => allHeld(b.store, scores)), 'every block is on B after the restart');
  const sent = ra.stats().sender.blocksSent;
  t.ok(sent <= 500 + 50, `${sent} blocks sent in all: at most one page (50) again`);
  t.equal(second.stats().receivers[a.node.peerId]!.fetched, sent - sentBefore);
  t.equal(froms[pagesBefore], doc.peers[a.node.peerId].pos, 'the first page after the restart starts at the saved cursor');
});

t.test('new blocks on A reach B through the head notice, without B polling', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const old = await fill(a.store, 10, 'old');
  const ra = await startBlockReplication({ node: a.node, store: a.store, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath: `${b.data}/peer/cursors.json`, log: b.log, peers: () => b.node.connectedPeers(), receiver: SLOW_POLL });
  t.teardown(() => rb.stop());
  t.ok(await eventually(() => allHeld(b.store, old)));
  const pagesBefore = ra.stats().sender.entriesRequests;
  for (let round = 0; round < 3; round++) {
    const fresh = await fill(a.store, 5, `new ${round}`);
    t.ok(await eventually(() => allHeld(b.store, fresh)), `round ${round}'s blocks reached B`);
  }
  t.equal(ra.stats().sender.sessions, 1, 'one session all along');
  t.ok(ra.stats().sender.entriesRequests - pagesBefore <= 3 * 3, 'a few page requests per notice, no polling storm');
});

t.test('an unpaired node gets nothing: the block handler is never called', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await fill(a.store, 10, 'a');
  b.members.add(a.node.peerId); // B thinks it is paired; A does not
  let calls = 0;
  const ra = await startBlockReplication({ node: a.node, store: a.store, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const serve = ra.sender.serve;
  ra.sender.serve = async (s) => { calls++; return serve(s); };
  await t.rejects(b.node.dial(a.node.peerId, a.node.addresses()), { code: 'COLONY_PERMISSION' });
  await t.rejects(b.node.newStream(a.node.peerId, BLOCK_PROTOCOL));
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath: `${b.data}/peer/cursors.json`, log: b.log, peers: () => [a.node.peerId], receiver: SLOW_POLL });
  await eventually(() => (rb.stats().receivers[a.node.peerId]?.sessions ?? 0) > 0 || b.logged.some((l) => l.msg.includes('retrying')));
  await rb.stop();
  t.equal(calls, 0, 'the handler never ran');
  t.equal(ra.stats().sender.sessions, 0);
  t.equal((await b.store.stats()).blocks, 0, 'B holds nothing');
});

// /colony/blocks/1 when a peer misbehaves or changes: a lying sender (one block's bytes
// falsified) is rejected with nothing of that block stored and the session closed; a block
// the sender cannot read is answered 'missing' and the cursor moves past it; a silent
// sender ends the session by timeout and a later session finishes; a replaced store (new
// epoch) is rescanned from 0.
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import t from 'tap';
import { ColonyError } from '../../../appliance/errors.js';
import { startBlockReplication } from '../../../appliance/peer/index.js';
import { BLOCK_PROTOCOL, encodeFrame } from '../../../appliance/peer/block-protocol.js';
import { createBlockSender } from '../../../appliance/peer/block-sender.js';
import type { PeerStream } from '../../../appliance/peer/index.js';
import { BlockStore, formatScore, offsetOf } from '../../../appliance/store/index.js';
import { allHeld, eventually, fill, pair, recordingLog, site, wrapStore, type Logged } from './blocks-helpers.js';

const FAST_RETRY = { pollMs: 600_000, backoffMinMs: 50, backoffMaxMs: 200 };

t.test('a lying sender: the falsified block is rejected, nothing of it stored, the session closed and logged', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const scores = await fill(a.store, 100, 'a');
  const bad = scores[60]!;
  const serveStore = wrapStore(a.store, {
    getBlock: (score, block) => {
      if (!score.equals(bad)) return block;
      const data = Buffer.from(block.data);
      data[7] = data[7]! ^ 0xff;
      return { type: block.type, data };
    },
  });
  const ra = await startBlockReplication({ node: a.node, store: a.store, serveStore, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const cursorsPath = `${b.data}/peer/cursors.json`;
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath, log: b.log, peers: () => b.node.connectedPeers(), receiver: { ...FAST_RETRY, pageLimit: 20, maxScores: 10 } });
  t.teardown(() => rb.stop());
  t.ok(await eventually(() => (rb.stats().receivers[a.node.peerId]?.rejected ?? 0) >= 2), 'rejected, and again in a later session');
  const stats = rb.stats().receivers[a.node.peerId]!;
  t.ok(stats.sessions >= 2, 'the session was closed and a new one opened later');
  t.notOk(await b.store.has(bad), 'nothing of the falsified block is stored');
  t.ok(await allHeld(b.store, scores.slice(0, 60)), 'the blocks before it are');
  const warn = b.logged.find((l) => l.level === 'warn' && l.score === formatScore(bad));
  t.ok(warn, 'a warning names the score');
  t.equal(warn?.peer, a.node.peerId, 'and the peer');
  const doc = JSON.parse(await readFile(cursorsPath, 'utf8'));
  t.equal(doc.peers[a.node.peerId].pos, (await a.store.entriesSince(0, { limit: 100 })).entries[60]!.pos, 'the cursor stops at the falsified block');
  await rb.stop();
  t.notOk(await b.store.has(bad));
});

t.test('a block the sender cannot read is answered missing, and the cursor moves past it', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const scores = await fill(a.store, 50, 'a');
  const gone = scores[10]!;
  const serveStore = wrapStore(a.store, {
    getBlock: (score, block) => {
      if (score.equals(gone)) throw new ColonyError('COLONY_CORRUPT_BLOCK', 'corrupt on disk (test)');
      return block;
    },
  });
  const ra = await startBlockReplication({ node: a.node, store: a.store, serveStore, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const cursorsPath = `${b.data}/peer/cursors.json`;
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath, log: b.log, peers: () => b.node.connectedPeers(), receiver: FAST_RETRY });
  t.teardown(() => rb.stop());
  const others = scores.filter((s) => !s.equals(gone));
  t.ok(await eventually(() => allHeld(b.store, others)), 'every other block is on B');
  t.ok(await eventually(async () => JSON.parse(await readFile(cursorsPath, 'utf8').catch(() => '{}')).peers?.[a.node.peerId]?.pos === a.store.logHead()), 'the cursor reached A\'s head');
  t.notOk(await b.store.has(gone));
  t.equal(ra.stats().sender.missing, 1, 'asked once');
  t.equal(rb.stats().receivers[a.node.peerId]!.gaveUp, 1);
});

t.test('a silent sender: the session ends by timeout and a later one finishes', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const scores = await fill(a.store, 40, 'a');
  let silent = true;
  let hung = 0;
  const serveStore = wrapStore(a.store, {
    entriesSince: () => {},
  });
  const getBlock = serveStore.getBlock;
  serveStore.getBlock = async (score) => {
    if (silent) { hung++; return new Promise(() => {}); } // never answers
    return getBlock(score);
  };
  const ra = await startBlockReplication({ node: a.node, store: a.store, serveStore, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath: `${b.data}/peer/cursors.json`, log: b.log, peers: () => b.node.connectedPeers(), receiver: { ...FAST_RETRY, requestTimeoutMs: 300 } });
  t.teardown(() => rb.stop());
  t.ok(await eventually(() => b.logged.some((l) => l.code === 'COLONY_TIMEOUT')), 'the session ended by timeout');
  t.ok(hung >= 1);
  silent = false;
  t.ok(await eventually(() => allHeld(b.store, scores)), 'a later session replicated everything');
  t.ok(rb.stats().receivers[a.node.peerId]!.sessions >= 2);
});

t.test('a replaced store (new epoch) is rescanned from 0', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const old = await fill(a.store, 30, 'old');
  const froms: number[] = [];
  let ra = await startBlockReplication({ node: a.node, store: a.store, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  const cursorsPath = `${b.data}/peer/cursors.json`;
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath, log: b.log, peers: () => b.node.connectedPeers(), receiver: FAST_RETRY });
  t.teardown(() => rb.stop());
  t.ok(await eventually(() => allHeld(b.store, old)));
  const oldEpoch = a.store.epoch;
  t.ok(await eventually(async () => JSON.parse(await readFile(cursorsPath, 'utf8').catch(() => '{}')).peers?.[a.node.peerId]?.epoch === oldEpoch));
  await ra.stop();
  await a.store.close();
  await rm(`${a.dir}/arenas`, { recursive: true });
  await rm(`${a.dir}/index`, { recursive: true });
  const store = await BlockStore.open(a.dir);
  t.teardown(() => store.close());
  t.not(store.epoch, oldEpoch, 'a new epoch');
  const fresh = await fill(store, 60, 'new'); // its head is past the old cursor
  ra = await startBlockReplication({ node: a.node, store, serveStore: wrapStore(store, { entriesSince: (from) => froms.push(from) }), cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  t.ok(await eventually(() => allHeld(b.store, fresh)), 'the new store\'s blocks reached B');
  t.equal(froms[0], 0, 'read from 0');
  t.ok(b.logged.some((l) => l.msg.includes('new store epoch')), 'logged');
  t.ok(await eventually(async () => {
    const c = JSON.parse(await readFile(cursorsPath, 'utf8')).peers[a.node.peerId];
    return c.epoch === store.epoch && c.pos === store.logHead();
  }), 'the cursor names the new epoch at its head');
});

t.test('a saved cursor the peer refuses (not a position of its log) falls back to a rescan from 0', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const scores = await fill(a.store, 30, 'a');
  const inside = (await a.store.entriesSince(0, { limit: 30 })).entries[10]!.pos + 5; // inside a record
  const cursorsPath = `${b.data}/peer/cursors.json`;
  await mkdir(`${b.data}/peer`, { recursive: true });
  await writeFile(cursorsPath, JSON.stringify({ version: 1, peers: { [a.node.peerId]: { epoch: a.store.epoch, pos: inside } } }));
  const ra = await startBlockReplication({ node: a.node, store: a.store, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath, log: b.log, peers: () => b.node.connectedPeers(), receiver: FAST_RETRY });
  t.teardown(() => rb.stop());
  t.ok(await eventually(() => allHeld(b.store, scores)), 'every block reached B');
  t.ok(b.logged.some((l) => l.level === 'warn' && l.msg.includes('refused our cursor')), 'logged');
  t.equal(rb.stats().receivers[a.node.peerId]!.sessions, 1, 'in the same session');
});

t.test('a block corrupt on the sender\'s disk is answered missing; B gets the rest and its cursor reaches the head', async (t) => {
  const raw = { compress: 'off' as const }; // the test damages the arena at a block's raw offset
  const [a, b] = [await site(t, raw), await site(t, raw)];
  await pair(a, b);
  const scores = await fill(a.store, 30, 'a');
  const victim = (await a.store.entriesSince(0, { limit: 30 })).entries[12]!;
  await a.store.close();
  const arena = `${a.dir}/arenas/${(await readdir(`${a.dir}/arenas`))[0]}`;
  const fh = await open(arena, 'r+');
  const at = offsetOf(victim.pos) + 44 + 100; // inside the block's data, past the 44-byte record header
  const one = Buffer.alloc(1);
  await fh.read(one, 0, 1, at);
  one[0] = one[0]! ^ 0xff;
  await fh.write(one, 0, 1, at);
  await fh.close();
  const store = await BlockStore.open(a.dir);
  t.teardown(() => store.close());
  const ra = await startBlockReplication({ node: a.node, store, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const cursorsPath = `${b.data}/peer/cursors.json`;
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath, log: b.log, peers: () => b.node.connectedPeers(), receiver: FAST_RETRY });
  t.teardown(() => rb.stop());
  t.ok(await eventually(() => allHeld(b.store, scores.filter((s) => !s.equals(victim.score)))), 'every intact block reached B');
  t.ok(await eventually(async () => JSON.parse(await readFile(cursorsPath, 'utf8').catch(() => '{}')).peers?.[a.node.peerId]?.pos === store.logHead()), 'the cursor reached A\'s head');
  t.notOk(await b.store.has(victim.score), 'the corrupt block is not on B');
  t.equal(ra.stats().sender.missing, 1);
  t.ok(a.logged.some((l) => l.level === 'warn' && l.score === formatScore(victim.score) && l.code === 'COLONY_CORRUPT_BLOCK'), 'A says which block it could not serve');
});

t.test('a receiver that stops reading ends its session on the sender by the write timeout', async (t) => {
  const { store } = await site(t);
  const scores = await fill(store, 4, 'a');
  // A stream whose writes stop completing after the hello, as when the remote stops reading.
  let writes = 0;
  let aborted: Error | undefined;
  const request = Buffer.concat(encodeFrame({ t: 'fetch', scores: scores.map((x) => x.toString('hex')) }));
  const stream: PeerStream = {
    remotePeer: 'test-peer',
    protocol: BLOCK_PROTOCOL,
    write: () => (++writes === 1 ? Promise.resolve() : new Promise(() => {})),
    end: async () => {},
    abort: (err) => { aborted = err; },
    async *[Symbol.asyncIterator]() { yield request; await new Promise(() => {}); },
  };
  const logged: Logged[] = [];
  const sender = createBlockSender({ store, log: recordingLog(logged), writeTimeoutMs: 200 });
  await sender.serve(stream); // returns: the session ended
  t.match(aborted, { code: 'COLONY_TIMEOUT' }, 'the stream was aborted by the timeout');
  t.equal(sender.stats().blocksSent, 0);
  t.ok(logged.some((l) => l.msg.includes('block session ended')));
});

// /colony/blocks/1 in a mesh: C replicates from A and B, which hold the same blocks (and a
// few of their own); each block crosses the network once, and both cursors reach their heads.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { startBlockReplication } from '../../../appliance/peer/index.js';
import { allHeld, eventually, fill, pair, site } from './blocks-helpers.js';

t.test('a mesh A, B → C fetches each block once', async (t) => {
  const [a, b, c] = [await site(t), await site(t), await site(t)];
  await pair(a, c);
  await pair(b, c);
  const shared = await fill(a.store, 300, 'shared');
  await fill(b.store, 300, 'shared');
  const onlyA = await fill(a.store, 10, 'only a');
  const onlyB = await fill(b.store, 15, 'only b');
  const ra = await startBlockReplication({ node: a.node, store: a.store, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const rb = await startBlockReplication({ node: b.node, store: b.store, cursorsPath: `${b.data}/peer/cursors.json`, log: b.log, peers: () => [] });
  t.teardown(() => rb.stop());
  const cursorsPath = `${c.data}/peer/cursors.json`;
  const rc = await startBlockReplication({ node: c.node, store: c.store, cursorsPath, log: c.log, peers: () => c.node.connectedPeers(), receiver: { pollMs: 600_000, pageLimit: 100, maxScores: 20 } });
  t.teardown(() => rc.stop());
  t.same(rc.receivers().size, 2, 'one receiver per peer');
  const all = [...shared, ...onlyA, ...onlyB];
  t.ok(await eventually(() => allHeld(c.store, all)), 'C holds every block');
  t.ok(await eventually(async () => {
    const doc = JSON.parse(await readFile(cursorsPath, 'utf8').catch(() => '{}'));
    return doc.peers?.[a.node.peerId]?.pos === a.store.logHead() && doc.peers?.[b.node.peerId]?.pos === b.store.logHead();
  }), 'both cursors reach their heads');
  const sent = ra.stats().sender.blocksSent + rb.stats().sender.blocksSent;
  t.equal(sent, all.length, `${all.length} blocks sent in all (A ${ra.stats().sender.blocksSent}, B ${rb.stats().sender.blocksSent})`);
  t.ok(ra.stats().sender.blocksSent >= onlyA.length && rb.stats().sender.blocksSent >= onlyB.length);
});

t.test('receivers follow peers(): a peer that leaves has its receiver stopped; a throwing peers() is logged', async (t) => {
  const [a, c] = [await site(t), await site(t)];
  await pair(a, c);
  const scores = await fill(a.store, 20, 'a');
  const ra = await startBlockReplication({ node: a.node, store: a.store, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  let listed: () => string[] = () => [a.node.peerId];
  const rc = await startBlockReplication({ node: c.node, store: c.store, cursorsPath: `${c.data}/peer/cursors.json`, log: c.log, peers: () => listed(), scanMs: 20, receiver: { pollMs: 600_000 } });
  t.teardown(() => rc.stop());
  t.ok(await eventually(() => allHeld(c.store, scores)));
  t.equal(rc.receivers().size, 1);
  listed = () => { throw new Error('catalog closed (test)'); };
  t.ok(await eventually(() => c.logged.some((l) => l.msg.includes('listing the peers'))), 'logged, not thrown');
  t.equal(rc.receivers().size, 1, 'a failed listing changes nothing');
  listed = () => [];
  t.ok(await eventually(() => rc.receivers().size === 0), 'the receiver of a peer no longer listed is stopped');
  await rc.stop();
});

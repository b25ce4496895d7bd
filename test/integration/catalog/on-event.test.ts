// catalog.onEvent: called once per write with the events written, local and remote alike
// (the replication's push notice), not for skipped or refused batches; unsubscribe stops it.
import t from 'tap';
import { openCatalog } from './helpers.js';

t.test('onEvent sees local and remote events, once each', async (t) => {
  const { catalog: a } = await openCatalog(t, undefined, { nodeId: 'node-a' });
  const { catalog: b } = await openCatalog(t, undefined, { nodeId: 'node-b' });
  const seen: string[][] = [];
  const stop = b.onEvent((events) => seen.push(events.map((e) => `${e.origin}#${e.seq}`)));
  await b.addUser({ name: 'bob', role: 'user' });
  await a.addUser({ name: 'alice', role: 'user' });
  await a.addUser({ name: 'ann', role: 'user' });
  const batch = await a.eventsSince({});
  await b.applyRemote(batch);
  await b.applyRemote(batch); // all held: nothing new, no call
  await t.rejects(b.applyRemote([{ ...batch[0], seq: 9 }]), { code: 'COLONY_INVALID' }); // a gap: refused, no call
  t.same(seen, [['node-b#1'], ['node-a#1', 'node-a#2']]);
  stop();
  await b.addUser({ name: 'carl', role: 'user' });
  t.equal(seen.length, 2, 'no call after unsubscribing');
});

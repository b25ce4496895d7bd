// The receiver's numbers as data (block-stats.ts, a clock passed in): the rate over the last
// 10 s, lag in bytes and in blocks (exact from a page that reached the head, else estimated),
// the state from the numbers, and the progress throttle.
import t from 'tap';
import { RateWindow, ReceiverTracker } from '../../../appliance/peer/block-stats.js';

t.test('the rate counts the last 10 s only', async (t) => {
  const w = new RateWindow(10_000);
  t.equal(w.rate(0), 0);
  for (let s = 0; s < 10; s++) w.add(1000, s * 1000);
  t.equal(w.rate(10_000), 1000, '10 000 bytes over 10 s');
  t.equal(w.rate(30_000), 0, 'nothing recent');
  w.add(5000, 30_000);
  t.equal(w.rate(30_500), 5000, 'a burst over its own second, not diluted by an empty window');
});

t.test('lag, state and percent follow the head and the cursor', async (t) => {
  let now = 0;
  const k = new ReceiverTracker(() => now);
  t.equal(k.stats().state, 'idle');
  t.equal(k.stats().lagBytes, undefined, 'unknown before a hello');
  k.hello(1000);
  k.at(0);
  t.match(k.stats(), { state: 'syncing', lagBytes: 1000, percent: 0, sessions: 1 });
  t.equal(k.stats().lagBlocks, undefined, 'no page yet: unknown');
  k.pageRead([0, 100, 200], [100, 200, 300], 300); // a page that does not reach the head
  k.at(100);
  t.match(k.stats(), { lagBytes: 900, lagBlocks: 9, lagBlocksExact: false, percent: 10 });
  k.pageRead([300, 400, 500, 600, 700, 800, 900], [400, 500, 600, 700, 800, 900, 1000], 1000);
  k.at(700);
  t.match(k.stats(), { lagBytes: 300, lagBlocks: 3, lagBlocksExact: true });
  k.received(100);
  t.match(k.stats(), { fetched: 1, fetchedBytes: 100 });
  k.setState('backoff');
  k.at(1000);
  t.equal(k.stats().state, 'backoff', 'a waiting state stays until the loop leaves it');
  k.setState('syncing');
  t.match(k.stats(), { state: 'idle', lagBytes: 0, lagBlocks: 0 });
  k.failed(Object.assign(new Error('boom'), { code: 'COLONY_IO' }));
  t.match(k.stats().lastError, { code: 'COLONY_IO', message: 'boom', at: '1970-01-01T00:00:00.000Z' });
});

t.test('progress is due once a sync ran 5 s, then every 5 s', async (t) => {
  let now = 0;
  const k = new ReceiverTracker(() => now);
  k.hello(1000);
  k.at(0);
  t.equal(k.progressDue(5000), undefined, 'not at once');
  now = 5000;
  k.at(400);
  t.match(k.progressDue(5000), { percent: 40, cursor: 400, peerHead: 1000, lagBytes: 600 });
  now = 7000;
  t.equal(k.progressDue(5000), undefined, 'throttled');
  now = 10_000;
  t.ok(k.progressDue(5000));
  k.at(1000);
  now = 20_000;
  t.equal(k.progressDue(5000), undefined, 'caught up: nothing to say');
});

// The pure rules behind compaction and the disk reserve: the throttle, the refusal rule,
// when free space is asked again, which collection keeps what, and which epoch file
// names this log.
import t from 'tap';
import { Collections } from '../../../appliance/store/collect.js';
import { throttleDelay } from '../../../appliance/store/compact.js';
import { sameLog } from '../../../appliance/store/epoch.js';
import { DiskReserve, formatBytes, refuses, stale } from '../../../appliance/store/reserve.js';

const score = (b: number) => Buffer.alloc(32, b);

t.test('the throttle waits until the bytes copied fit the rate', async (t) => {
  t.equal(throttleDelay(1000, 1000, 0, 1 << 20), 0, 'nothing copied, no wait');
  t.equal(throttleDelay(1000, 1000, 1 << 20, 1 << 20), 1000, '1 MiB at 1 MiB/s: a second');
  t.equal(throttleDelay(1000, 1500, 1 << 20, 1 << 20), 500, 'time already spent counts');
  t.equal(throttleDelay(1000, 3000, 1 << 20, 1 << 20), 0, 'never negative');
  t.equal(throttleDelay(0, 0, 1e12, Number.POSITIVE_INFINITY), 0, 'Infinity never waits');
});

t.test('the reserve refuses below its size, and is off at 0', async (t) => {
  t.equal(refuses(0, 0), false, 'no reserve: never');
  t.equal(refuses(100, 99), true);
  t.equal(refuses(100, 100), false);
  t.equal(refuses(100, -5), true, 'an estimate below zero still refuses');
});

t.test('free space is asked again after a second or 16 MiB written', async (t) => {
  t.equal(stale(0, 999, 0), false);
  t.equal(stale(0, 1000, 0), true);
  t.equal(stale(0, 10, (16 << 20) - 1), false);
  t.equal(stale(0, 10, 16 << 20), true);
  t.equal(stale(Number.NEGATIVE_INFINITY, 0, 0), true, 'never asked: ask');
});

t.test('between asks the bytes written are taken off the last answer', async (t) => {
  let now = 0;
  const r = new DiskReserve(1, '/', () => now);
  const first = (await r.stats()).freeBytes;
  r.wrote(4096);
  t.equal((await r.stats()).freeBytes, first - 4096, 'estimated, not asked');
  now = 1000;
  const again = (await r.stats()).freeBytes;
  t.ok(Math.abs(again - first) < 1 << 30, 'asked again after a second');
  t.equal(formatBytes(3 << 20), '3 MiB');
  t.equal(formatBytes(1536), '1.5 KiB');
  t.equal(formatBytes(12), '12 bytes');
});

t.test('collections keep dedup hits and records written after they began', async (t) => {
  const c = new Collections();
  t.equal(c.keeps(score(1).toString('hex'), 0), false, 'nothing open, nothing kept');
  c.hit(score(1).toString('hex')); // before any collection: not remembered
  const a = c.begin(5000);
  t.equal(a.touched(score(1)), false);
  c.hit(score(2).toString('hex'));
  t.equal(a.touched(score(2)), true);
  t.equal(c.keeps(score(2).toString('hex'), 10), true, 'a hit keeps the block');
  t.equal(c.keeps(score(3).toString('hex'), 4999), false, 'older and untouched: not kept');
  t.equal(c.keeps(score(3).toString('hex'), 5000), true, 'written after the collection began: kept');
  const b = c.begin(9000);
  c.hit(score(4).toString('hex'));
  t.equal(a.touched(score(4)) && b.touched(score(4)), true, 'every open collection hears a hit');
  a.end();
  t.equal(c.keeps(score(2).toString('hex'), 10), false, 'the ended collection no longer keeps');
  t.equal(c.keeps(score(3).toString('hex'), 5000), false, 'nor its log position');
  t.equal(c.keeps(score(4).toString('hex'), 10), true, 'the open one still does');
  b.end();
  t.equal(c.keeps(score(4).toString('hex'), 1e12), false);
});

t.test('an epoch file belongs to this log when it names an arena that exists', async (t) => {
  const arenas = [{ firstArena: 0, created: 10 }, { firstArena: 1, created: 20 }, { firstArena: 4, created: 50 }];
  t.equal(sameLog({ firstArena: 0, created: 10 }, arenas), true, 'the first arena');
  t.equal(sameLog({ firstArena: 1, created: 20 }, arenas), true, 'a later one: compaction named it, then stopped');
  t.equal(sameLog({ firstArena: 1, created: 21 }, arenas), false, 'same number, another file');
  t.equal(sameLog({ firstArena: 2, created: 30 }, arenas), false, 'an arena that is gone');
  t.equal(sameLog({ firstArena: 0, created: 10 }, []), false);
});

import t from 'tap';
import type { CatalogEvent } from '../../../appliance/catalog/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { score } from '../../unit/catalog/fixtures.js';
import { openCatalog } from './helpers.js';

async function source(t: Parameters<typeof openCatalog>[0], n: number) {
  const { catalog } = await openCatalog(t, undefined, { nodeId: 'src' });
  await catalog.addUser({ name: 'alice', role: 'admin' });
  for (let i = 1; i < n; i++) await catalog.registerName({ owner: 'alice', name: `n${i}`, root: score(i) });
  return catalog;
}

t.test('eventsSince reads each origin after its vector entry, bounded by a limit', async (t) => {
  const src = await source(t, 10);
  t.equal((await src.eventsSince({})).length, 10);
  t.same((await src.eventsSince({ src: 7 })).map((e) => e.seq), [8, 9, 10]);
  t.same(await src.eventsSince({ src: 10 }), []);
  t.same(await src.eventsSince({ src: 99 }), []);
  t.same((await src.eventsSince({ other: 3 })).length, 10, 'unknown origins in the vector are ignored');
  t.same((await src.eventsSince({}, { limit: 4 })).map((e) => e.seq), [1, 2, 3, 4]);
  await t.rejects(src.eventsSince({ src: -1 }), { code: 'COLONY_INVALID' });
  await t.rejects(src.eventsSince({}, { limit: 0 }), { code: 'COLONY_INVALID' });
});

t.test('applyRemote is idempotent and tolerates any order within an origin', async (t) => {
  const src = await source(t, 12);
  const all = await src.eventsSince({});
  const { catalog: dst } = await openCatalog(t, undefined, { nodeId: 'dst' });
  const reversed = [...all].reverse();
  t.same(await dst.applyRemote(reversed.slice(6)), { applied: 6, skipped: 0 }, 'the first six, given backwards');
  t.same(await dst.applyRemote(reversed), { applied: 6, skipped: 6 });
  t.same(await dst.applyRemote(all), { applied: 0, skipped: 12 });
  t.same(await dst.applyRemote([...all, ...all]), { applied: 0, skipped: 12 }, 'duplicates inside a batch count once');
  t.same(dst.snapshot(), src.snapshot());
});

t.test('a gap refuses the whole batch and writes nothing', async (t) => {
  const src = await source(t, 8);
  const all = await src.eventsSince({});
  const { catalog: dst } = await openCatalog(t, undefined, { nodeId: 'dst' });
  await dst.applyRemote(all.slice(0, 3));
  const before = dst.snapshot();
  await t.rejects(dst.applyRemote([...all.slice(3, 4), ...all.slice(5)]), { code: 'COLONY_INVALID', message: /src have a gap: this catalog holds up to #4 and the batch continues at #6/ });
  await t.rejects(dst.applyRemote(all.slice(4)), { code: 'COLONY_INVALID', message: /up to #3 and the batch continues at #5/ });
  t.same(dst.snapshot(), before);
  t.same(await dst.eventsSince({}), all.slice(0, 3), 'nothing of the refused batches reached the log');
});

t.test('events that contradict what is held, or are malformed, are refused', async (t) => {
  const src = await source(t, 3);
  const all = await src.eventsSince({});
  const { catalog: dst } = await openCatalog(t, undefined, { nodeId: 'dst' });
  await dst.applyRemote(all);
  const forged = { ...all[1], time: '2030-01-01T00:00:00.000Z' } as CatalogEvent;
  await t.rejects(dst.applyRemote([forged]), { code: 'COLONY_EXISTS', message: /src#2 with different content/ });
  await t.rejects(dst.applyRemote([{ ...forged, seq: 4 }, { ...forged, seq: 4, time: '2031-01-01T00:00:00.000Z' }]), { code: 'COLONY_INVALID', message: /two different events src#4/ });
  await t.rejects(dst.applyRemote([{ origin: 'src', seq: 4 }]), { code: 'COLONY_INVALID', message: /remote event 0: bad event time/ });
  await t.rejects(dst.applyRemote('nope' as unknown as unknown[]), { code: 'COLONY_INVALID' });
  t.same(dst.vector(), { src: 3 });
});

t.test('two nodes that exchange what they lack converge; a name taken twice keeps the earlier', async (t) => {
  const log = new MemoryLog();
  let clock = Date.UTC(2026, 0, 1);
  const now = () => new Date((clock += 10));
  const { catalog: a } = await openCatalog(t, undefined, { nodeId: 'a', now, log });
  const { catalog: b } = await openCatalog(t, undefined, { nodeId: 'b', now });
  await a.addUser({ name: 'alice', role: 'admin' });
  await b.applyRemote(await a.eventsSince(b.vector()));
  // Both register the same name while apart; b's is later.
  await a.registerName({ owner: 'alice', name: 'deb', root: score(1) });
  await b.registerName({ owner: 'alice', name: 'deb', root: score(2) });
  await b.addUser({ name: 'bob', role: 'user' });
  await a.grant('alice', 'deb', 'alice').then(() => a.addUser({ name: 'carol', role: 'user' }));
  await b.applyRemote(await a.eventsSince(b.vector()));
  await a.applyRemote(await b.eventsSince(a.vector()));
  t.same(a.snapshot(), b.snapshot());
  t.same(a.getName('alice', 'deb').root, score(1));
  t.equal(a.getName('alice', 'deb').origin, 'a');
  t.same(a.listUsers().map((u) => u.name), ['alice', 'bob', 'carol']);
  t.ok(log.lines.some((l) => l.level === 'warn' && /registered twice/.test(l.msg)), 'a warns that a name was registered twice');
});

t.test("a node stamps its events after any it has seen, even with a slow clock", async (t) => {
  const { catalog: fast } = await openCatalog(t, undefined, { nodeId: 'fast', now: () => new Date('2030-01-01T00:00:00.000Z') });
  const { catalog: slow } = await openCatalog(t, undefined, { nodeId: 'slow', now: () => new Date('2020-01-01T00:00:00.000Z') });
  await fast.addUser({ name: 'alice', role: 'admin' });
  await fast.addUser({ name: 'bob', role: 'user' });
  await slow.applyRemote(await fast.eventsSince({}));
  await slow.removeUser('bob');
  const [removal] = await slow.eventsSince({ fast: 2 });
  t.equal(removal?.time, '2030-01-01T00:00:00.002Z');
  await fast.applyRemote([removal]);
  t.same(fast.listUsers().map((u) => u.name), ['alice'], 'the later removal wins on both nodes');
  t.same(fast.snapshot(), slow.snapshot());
});

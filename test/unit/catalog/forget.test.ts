// Forgetting names as data: tombstones and registrations made on nodes that were apart,
// applied in many orders. Every order must give the same state, and a tombstone must win
// over every registration of its name, even one made where it had not arrived yet.
import t from 'tap';
import { parseEvent, type CatalogEvent, type EventBody } from '../../../appliance/catalog/event.js';
import { forgottenRecords, liveRoots, planForget } from '../../../appliance/catalog/forget.js';
import { apply, emptyState, snapshot, type CatalogState } from '../../../appliance/catalog/state.js';
import { formatScore } from '../../../appliance/store/index.js';
import { listNames, resolveName } from '../../../appliance/catalog/view.js';

const root = (n: number) => `b3:${n.toString(16).padStart(2, '0').repeat(32)}`;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const seqs = new Map<string, number>();
function ev(origin: string, sec: number, body: EventBody): CatalogEvent {
  const seq = (seqs.get(origin) ?? 0) + 1;
  seqs.set(origin, seq);
  return parseEvent({ origin, seq, time: at(sec), ...body });
}
const run = (events: CatalogEvent[]): CatalogState => { const s = emptyState(); for (const e of events) apply(s, e); return s; };
function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let x = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
const reg = (owner: string, name: string, r: number): EventBody => ({ type: 'name.register', payload: { owner, name, root: root(r), comment: '', meta: {} } });
const forget = (owner: string, name: string, r: number, by = owner, reason?: string): EventBody =>
  ({ type: 'name.forget', payload: { owner, name, root: root(r), by, ...(reason !== undefined ? { reason } : {}) } });
const names = (s: CatalogState) => listNames(s).map((n) => `${n.owner}/${n.name}=${formatScore(n.root).slice(3, 5)}`).sort();

const history: CatalogEvent[] = [
  ev('a', 1, { type: 'user.add', payload: { name: 'root', role: 'admin', keys: [] } }),
  ev('a', 2, { type: 'user.add', payload: { name: 'alice', role: 'user', keys: [] } }),
  ev('a', 3, { type: 'user.add', payload: { name: 'bob', role: 'user', keys: [] } }),
  // alice/deb on a, then forgotten on a; b, apart, registers alice/deb too, after the tombstone.
  ev('a', 10, reg('alice', 'deb', 1)),
  ev('a', 11, { type: 'name.grant', payload: { owner: 'alice', name: 'deb', to: 'bob' } }),
  ev('a', 12, forget('alice', 'deb', 1)),
  ev('b', 13, reg('alice', 'deb', 2)),
  // alice/keep: registered on a and c apart (a copy), then the copy forgotten by an admin on c.
  ev('a', 20, reg('alice', 'keep', 3)),
  ev('c', 21, reg('alice', 'keep', 4)),
  ev('c', 22, forget('alice', 'keep@c', 4, 'root', 'a duplicate')),
  // A registered name that looks like a copy, with the winner's root, forgotten: keep stays.
  ev('b', 23, reg('alice', 'keep@a', 3)),
  ev('b', 24, forget('alice', 'keep@a', 3)),
  // bob/tools forgotten on two nodes at once: both tombstones are kept, the earliest shown.
  ev('a', 30, reg('bob', 'tools', 5)),
  ev('b', 31, forget('bob', 'tools', 5)),
  ev('c', 32, forget('bob', 'tools', 5, 'root', 'cleanup')),
  ev('a', 40, reg('bob', 'untouched', 6)),
];

t.test('every arrival order gives the same state', async (t) => {
  const want = JSON.stringify(snapshot(run(history)));
  for (let seed = 1; seed <= 500; seed++) {
    const got = JSON.stringify(snapshot(run(shuffled(history, seed))));
    if (got !== want) { t.fail(`order ${seed} differs`); return; }
  }
  t.pass('500 orders agree');
});

t.test('the tombstone wins over every registration of its name', async (t) => {
  const s = run(history);
  t.same(names(s), ['alice/keep=03', 'bob/untouched=06'], 'deb (both roots), the copy keep@c and the registered keep@a are gone; keep stays');
  t.throws(() => resolveName(s, 'bob', 'alice/deb'), { code: 'COLONY_NOT_FOUND' }, 'the grantee lost it too');
  t.throws(() => resolveName(s, 'alice', 'deb'), { code: 'COLONY_NOT_FOUND' });
  t.same(forgottenRecords(s).map((f) => `${f.owner}/${f.name} by ${f.by}${f.reason ? ` (${f.reason})` : ''}`),
    ['bob/tools by bob', 'alice/keep@a by alice', 'alice/keep@c by root (a duplicate)', 'alice/deb by alice'], 'newest first; the earliest of two tombstones');
  t.same(snapshot(s).forgotten?.filter((f) => f.name === 'tools').map((f) => f.by), ['bob', 'root'], 'both tombstones of tools are in the state');
  t.same(liveRoots(s).map((r) => formatScore(r)), [root(3), root(6)], 'live roots: only names not forgotten');
});

t.test('the register made apart before the tombstone arrived loses, whichever comes first', async (t) => {
  const local = [history[0]!, history[1]!, history[3]!];
  const tomb = history[5]!;
  const concurrent = history[6]!;
  for (const order of [[...local, tomb, concurrent], [...local, concurrent, tomb], [concurrent, tomb, ...local]]) {
    const s = run(order);
    t.notOk(s.names.has('alice/deb'));
    t.same(listNames(s).filter((n) => n.name.startsWith('deb')), [], 'no conflict copy either');
  }
  // Before the tombstone, b's registration was the name (and a's a copy): both vanish.
  const apart = run([...local, concurrent]);
  t.same(names(apart), ['alice/deb=01', 'alice/deb@b=02']);
});

t.test('a forgotten copy stays gone when copies are renamed, and renames no other', async (t) => {
  const doc = [
    ...history.slice(0, 3),
    ev('a', 70, reg('alice', 'doc', 10)),
    ev('p-12345678', 71, reg('alice', 'doc', 11)),
    ev('p-12345678', 72, forget('alice', 'doc@12345678', 11)),
  ];
  t.same(names(run(doc)), ['alice/doc=0a']);
  // Another origin with the same last 8 characters: copies now take whole origins.
  const later = [...doc, ev('q-12345678', 73, reg('alice', 'doc', 12))];
  for (const order of [later, shuffled(later, 7), shuffled(later, 8)]) {
    t.same(names(run(order)), ['alice/doc=0a', 'alice/doc@q-12345678=0c'], 'the forgotten root 0b stays gone as doc@p-12345678; q keeps its whole-origin name');
  }
});

t.test('no tombstone: the snapshot has the shape older versions gave', async (t) => {
  const s = run(history.filter((e) => e.type !== 'name.forget'));
  t.notOk('forgotten' in snapshot(s));
  t.same(liveRoots(s).length, 6);
});

t.test('planForget: who may forget what', async (t) => {
  const s = run(history.slice(0, 3).concat(ev('a', 60, reg('alice', 'img', 8)), ev('a', 61, { type: 'name.grant', payload: { owner: 'alice', name: 'img', to: 'bob' } })));
  const p = planForget(s, 'alice', 'img', 'alice');
  t.same(p.body, { type: 'name.forget', payload: { owner: 'alice', name: 'img', root: root(8), by: 'alice' } });
  t.same(p.grantees, ['bob']);
  t.throws(() => planForget(s, 'alice', 'img', 'bob'), { code: 'COLONY_PERMISSION' }, 'a grantee may not');
  t.throws(() => planForget(s, 'alice', 'nope', 'alice'), { code: 'COLONY_NOT_FOUND' });
  t.throws(() => planForget(s, 'alice', 'img', 'root'), { code: 'COLONY_INVALID', message: /needs a reason/ });
  t.throws(() => planForget(s, 'alice', 'img', 'root', 'x'.repeat(201)), { code: 'COLONY_INVALID', message: /201 characters/ });
  t.throws(() => planForget(s, 'alice', 'img', 'root', 'two\nlines'), { code: 'COLONY_INVALID', message: /one line/ });
  t.same(planForget(s, 'alice', 'img', 'root', '  left the company ').body.payload, { owner: 'alice', name: 'img', root: root(8), by: 'root', reason: 'left the company' });
  const hidden = run([...history.slice(0, 3), ev('a', 62, reg('root', 'secret', 9))]);
  t.throws(() => planForget(hidden, 'root', 'secret', 'alice'), { code: 'COLONY_NOT_FOUND' }, 'a name alice cannot see answers as missing');
});

t.test('name.forget events parse strictly', async (t) => {
  const base = { origin: 'a', seq: 1, time: at(1), type: 'name.forget' };
  t.throws(() => parseEvent({ ...base, payload: { owner: 'alice', name: 'x', root: 'nope', by: 'alice' } }), { code: 'COLONY_INVALID', message: /root/ });
  t.throws(() => parseEvent({ ...base, payload: { owner: 'alice', name: 'x', root: root(1), by: 'alice', reason: '' } }), { code: 'COLONY_INVALID' });
  t.throws(() => parseEvent({ ...base, payload: { owner: 'alice', name: 'x', root: root(1) } }), { code: 'COLONY_INVALID' });
  t.same(Object.keys(parseEvent({ ...base, payload: { extra: 1, by: 'alice', root: root(1), name: 'x', owner: 'alice' } }).payload), ['owner', 'name', 'root', 'by'], 'canonical order, extra fields dropped');
});

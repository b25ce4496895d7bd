import t from 'tap';
import { parseEvent, type CatalogEvent, type EventBody } from '../../../appliance/catalog/event.js';
import { apply, compareStamps, emptyState, nextTime, snapshot, type CatalogState } from '../../../appliance/catalog/state.js';
import { keyLine } from './fixtures.js';

const H1 = 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const H2 = 'scrypt$1024$8$1$BBBBBBBBBBBBBBBBBBBBBA==$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=';
const ROOT1 = `b3:${'11'.repeat(32)}`;
const ROOT2 = `b3:${'22'.repeat(32)}`;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const ev = (origin: string, seq: number, sec: number, body: EventBody): CatalogEvent => parseEvent({ origin, seq, time: at(sec), ...body });
const run = (events: CatalogEvent[]): CatalogState => { const s = emptyState(); for (const e of events) apply(s, e); return s; };

// A small deterministic PRNG, so a failing permutation can be reproduced.
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

const k1 = keyLine('ed25519', 'one');
const k2 = keyLine('ed25519', 'two');
const history: CatalogEvent[] = [
  ev('a', 1, 1, { type: 'user.add', payload: { name: 'alice', role: 'admin', keys: [k1], passwordHash: H1 } }),
  ev('a', 2, 2, { type: 'user.add', payload: { name: 'bob', role: 'user', keys: [] } }),
  ev('b', 1, 3, { type: 'name.register', payload: { owner: 'bob', name: 'deb', root: ROOT1, comment: '', meta: {} } }),
  ev('c', 1, 4, { type: 'name.register', payload: { owner: 'bob', name: 'deb', root: ROOT2, comment: 'late', meta: {} } }),
  ev('b', 2, 5, { type: 'name.grant', payload: { owner: 'bob', name: 'deb', to: 'alice' } }),
  ev('c', 2, 6, { type: 'user.remove', payload: { name: 'bob' } }),
  ev('b', 3, 7, { type: 'user.password', payload: { name: 'bob', passwordHash: H2 } }),
  ev('a', 3, 8, { type: 'user.add', payload: { name: 'bob', role: 'user', keys: [k2] } }),
  ev('c', 3, 9, { type: 'user.key', payload: { name: 'alice', key: k2 } }),
  ev('b', 4, 10, { type: 'user.password', payload: { name: 'alice', passwordHash: H2 } }),
];

t.test('the same set of events gives the same state in any order', async (t) => {
  const want = snapshot(run(history));
  for (let seed = 1; seed <= 200; seed++) {
    const got = snapshot(run(shuffled(history, seed)));
    if (JSON.stringify(got) !== JSON.stringify(want)) { t.same(got, want, `seed ${seed}`); return; }
  }
  t.pass('200 permutations agree');
});

t.test('the derived state follows the documented rules', async (t) => {
  const s = run(history);
  const deb = s.names.get('bob/deb');
  t.equal(deb?.root, ROOT1, 'the earliest registration of a name wins');
  t.same([...(s.grants.get('bob/deb') ?? [])], ['alice']);
  const bob = s.users.get('bob');
  t.equal(bob?.alive, true, 'the add at 8 s is later than the remove at 6 s');
  t.equal(bob?.password, undefined, "bob's password from 7 s predates his re-add, and the re-add set none");
  t.same([...(bob?.keys.values() ?? [])].map((k) => k.line), [k2]);
  const alice = s.users.get('alice');
  t.equal(alice?.password?.hash, H2, 'the latest password wins');
  t.equal(alice?.keys.size, 2);
  t.same(Object.fromEntries(s.vector), { a: 3, b: 4, c: 3 });
  t.equal(s.events, history.length);
  t.equal(s.clock, at(10));
});

t.test('a remove after an add wins, and the user keeps no keys or password', async (t) => {
  const s = run([
    ev('a', 1, 1, { type: 'user.add', payload: { name: 'x', role: 'admin', keys: [k1], passwordHash: H1 } }),
    ev('a', 2, 2, { type: 'user.remove', payload: { name: 'x' } }),
  ]);
  const x = s.users.get('x');
  t.equal(x?.alive, false);
  t.equal(x?.keys.size, 0);
  t.equal(x?.password, undefined);
});

t.test('stamps order by time, then origin, then seq; local time never goes backwards', async (t) => {
  t.ok(compareStamps({ time: at(1), origin: 'z', seq: 9 }, { time: at(2), origin: 'a', seq: 1 }) < 0);
  t.ok(compareStamps({ time: at(1), origin: 'a', seq: 9 }, { time: at(1), origin: 'b', seq: 1 }) < 0);
  t.ok(compareStamps({ time: at(1), origin: 'a', seq: 1 }, { time: at(1), origin: 'a', seq: 2 }) < 0);
  const s = run([ev('far', 1, 50, { type: 'user.remove', payload: { name: 'x' } })]);
  t.equal(nextTime(s, new Date(at(100))), at(100), 'a clock ahead is used as is');
  t.equal(nextTime(s, new Date(at(10))), new Date(Date.parse(at(50)) + 1).toISOString(), 'a clock behind what we have seen is moved past it');
});

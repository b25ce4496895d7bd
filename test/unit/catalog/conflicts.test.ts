// The conflict rules as data: events made on nodes that were apart, applied in many
// orders; every order must give the same state, and that state must follow the rules
// documented in appliance/catalog/README.md.
import t from 'tap';
import { parseEvent, type CatalogEvent, type EventBody } from '../../../appliance/catalog/event.js';
import { members } from '../../../appliance/catalog/membership.js';
import { apply, emptyState, snapshot, type CatalogState } from '../../../appliance/catalog/state.js';
import { keyLine } from './fixtures.js';
import { signerFor } from './signers.js';

const H1 = 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const H2 = 'scrypt$1024$8$1$BBBBBBBBBBBBBBBBBBBBBA==$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=';
const H3 = 'scrypt$1024$8$1$CCCCCCCCCCCCCCCCCCCCCA==$CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA=';
const root = (n: number) => `b3:${n.toString(16).padStart(2, '0').repeat(32)}`;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const seqs = new Map<string, number>();
/** An event from `origin` at second `sec`; seqs count per origin in creation order. */
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

const k1 = keyLine('ed25519', 'one');
const k2 = keyLine('ed25519', 'two');
const k3 = keyLine('ed25519', 'three');
const reg = (owner: string, name: string, r: number): EventBody => ({ type: 'name.register', payload: { owner, name, root: r === 0 ? root(1) : root(r), comment: '', meta: {} } });
const P1 = signerFor('peer-1').nodeId;
const P2 = signerFor('peer-2').nodeId;

// Three nodes a, b, c (and two with long ids sharing a suffix), each working alone.
const history: CatalogEvent[] = [
  ev('a', 1, { type: 'user.add', payload: { name: 'root', role: 'admin', keys: [] } }),
  // (b) the same user added on two nodes: the roles differ, each brings a key and a password.
  ev('a', 2, { type: 'user.add', payload: { name: 'alice', role: 'user', keys: [k1], passwordHash: H1 } }),
  ev('b', 3, { type: 'user.add', payload: { name: 'alice', role: 'admin', keys: [k2], passwordHash: H2 } }),
  // (c) alice's password changed on two nodes in the same millisecond: the origin decides.
  ev('a', 10, { type: 'user.password', payload: { name: 'alice', passwordHash: H1 } }),
  ev('c', 10, { type: 'user.password', payload: { name: 'alice', passwordHash: H3 } }),
  // (d) bob removed on c while b changes his password and adds a key; a re-adds him later.
  ev('a', 4, { type: 'user.add', payload: { name: 'bob', role: 'admin', keys: [k3] } }),
  ev('c', 11, { type: 'user.remove', payload: { name: 'bob' } }),
  ev('b', 12, { type: 'user.password', payload: { name: 'bob', passwordHash: H2 } }),
  ev('b', 13, { type: 'user.key', payload: { name: 'bob', key: k2 } }),
  ev('a', 14, { type: 'user.add', payload: { name: 'bob', role: 'user', keys: [] } }),
  ev('a', 15, { type: 'user.key', payload: { name: 'bob', key: k1 } }),
  // carol: added as an admin, then removed; her role stays what her latest add said.
  ev('b', 5, { type: 'user.add', payload: { name: 'carol', role: 'admin', keys: [] } }),
  ev('c', 6, { type: 'user.remove', payload: { name: 'carol' } }),
  // (a) root/deb registered on every node while apart.
  ev('b', 20, reg('root', 'deb', 2)),
  ev('a', 21, reg('root', 'deb', 3)),
  ev('c', 22, reg('root', 'deb', 2)), // the winner's root again: the same name, no copy
  ev('node-x-12345678', 23, reg('root', 'deb', 4)),
  ev('node-y-12345678', 24, reg('root', 'deb', 5)), // shares the suffix: whole origins
  // A real name with a copy's text wins over the copy.
  ev('c', 25, reg('root', 'deb@a', 6)),
  ev('a', 26, { type: 'name.grant', payload: { owner: 'root', name: 'deb', to: 'alice' } }),
  // Membership: P1 paired on a, unpaired on b, paired again on c; P2 paired and unpaired at once.
  ev('a', 30, { type: 'peer.pair', payload: { peer: P1, addresses: ['/ip4/10.0.0.1/tcp/4001'], by: 'root' } }),
  ev('b', 31, { type: 'peer.unpair', payload: { peer: P1, by: 'root' } }),
  ev('c', 32, { type: 'peer.pair', payload: { peer: P1, addresses: ['10.0.0.9:4001'], by: 'alice' } }),
  ev('a', 40, { type: 'peer.pair', payload: { peer: P2, addresses: [], by: 'root' } }),
  ev('b', 40, { type: 'peer.unpair', payload: { peer: P2, by: 'root' } }),
];

t.test('every arrival order gives the same state', async (t) => {
  const want = JSON.stringify(snapshot(run(history)));
  let differ = 0;
  for (let seed = 1; seed <= 500; seed++) if (JSON.stringify(snapshot(run(shuffled(history, seed)))) !== want) differ++;
  t.equal(differ, 0, '500 orders agree');
  t.equal(JSON.stringify(snapshot(run([...history].reverse()))), want, 'the reverse order too');
});

t.test('a user added on two nodes merges: the later role, both keys, the later password', async (t) => {
  const s = run(shuffled(history, 7));
  const alice = s.users.get('alice')!;
  t.equal(alice.alive, true);
  t.equal(alice.role, 'admin', "b's add is later");
  t.same([...alice.keys.values()].map((k) => k.line).sort(), [k1, k2].sort(), 'keys are the union of both adds');
  t.equal(alice.password?.hash, H3, "two password changes at the same time: c's origin sorts after a's");
});

t.test('a removal wins over a change made concurrently; a later re-add starts clean', async (t) => {
  const s = run(shuffled(history, 8));
  const bob = s.users.get('bob')!;
  t.equal(bob.alive, true, 'the re-add at 14 s is after the removal at 11 s');
  t.equal(bob.role, 'user');
  t.equal(bob.password, undefined, 'the password set at 12 s belonged to the removed bob');
  t.same([...bob.keys.values()].map((k) => k.line), [k1], 'k3 (before the removal) and k2 (concurrent with it) are gone');
  const carol = s.users.get('carol')!;
  t.equal(carol.alive, false);
  t.equal(carol.role, 'admin', "a removed user's role is its latest add's, whatever the order");
});

t.test('a name registered on several nodes: the earliest keeps it, the others stay as name@origin', async (t) => {
  const s = run(shuffled(history, 9));
  const names = [...s.names.values()].map((n) => ({ name: n.name, root: n.root, origin: n.stamp.origin, conflictOf: n.conflictOf }));
  t.same(names.sort((x, y) => (x.name < y.name ? -1 : 1)), [
    { name: 'deb', root: root(2), origin: 'b', conflictOf: undefined },
    { name: 'deb@a', root: root(6), origin: 'c', conflictOf: undefined },
    { name: 'deb@node-x-12345678', root: root(4), origin: 'node-x-12345678', conflictOf: 'deb' },
    { name: 'deb@node-y-12345678', root: root(5), origin: 'node-y-12345678', conflictOf: 'deb' },
  ], "a's copy yields to the registered deb@a; c's has the winner's root; x and y share a suffix");
  t.same([...(s.grants.get('root/deb') ?? [])], ['alice'], 'a grant names the registered name, i.e. the winner');
});

t.test('membership: the latest pair or unpair decides, with the deciding pair\'s addresses', async (t) => {
  const s = run(shuffled(history, 10));
  t.same(members(s), [{ peer: P1, addresses: ['10.0.0.9:4001'], admittedBy: { user: 'alice', origin: 'c' }, since: at(32) }]);
  t.equal(s.peers.get(P2)?.paired, false, 'pair and unpair at the same time: b sorts after a, so unpaired');
});

t.test('conflict copies stay distinct with short origins that differ only early', async (t) => {
  const es = [
    ev('p', 50, reg('root', 'img', 7)),
    ev('aa-0000000000000001', 51, reg('root', 'img', 8)),
    ev('bb-0000000000000001', 52, reg('root', 'img', 9)),
    ev('cc-0000000000000002', 53, reg('root', 'img', 10)),
  ];
  const s = run(es);
  t.same([...s.names.keys()].sort(), ['root/img', 'root/img@00000002', 'root/img@aa-0000000000000001', 'root/img@bb-0000000000000001']);
  t.equal(JSON.stringify(snapshot(run([...es].reverse()))), JSON.stringify(snapshot(s)));
});

t.test("a user's account is the add that began its life: a concurrent add merged in later keeps it", async (t) => {
  const first = ev('a', 60, { type: 'user.add', payload: { name: 'dave', role: 'user', keys: [] } });
  const second = ev('b', 61, { type: 'user.add', payload: { name: 'dave', role: 'admin', keys: [] } });
  const s = run([first]);
  t.same(s.users.get('dave')!.since, { time: at(60), origin: 'a', seq: first.seq });
  apply(s, second);
  t.same(s.users.get('dave')!.since, { time: at(60), origin: 'a', seq: first.seq }, 'still the first add');
  t.equal(s.users.get('dave')!.role, 'admin', 'the role is the later add\'s');
  apply(s, ev('c', 62, { type: 'user.remove', payload: { name: 'dave' } }));
  const again = ev('a', 63, { type: 'user.add', payload: { name: 'dave', role: 'user', keys: [] } });
  apply(s, again);
  t.same(s.users.get('dave')!.since, { time: at(63), origin: 'a', seq: again.seq }, 'a re-add after a removal is a new account');
});

t.test('merging a concurrent add keeps the account whichever add arrives first; only a removal makes a new one', async (t) => {
  const { userInfo } = await import('../../../appliance/catalog/view.js');
  const earlier = ev('a', 70, { type: 'user.add', payload: { name: 'erin', role: 'admin', keys: [] } });
  const later = ev('b', 71, { type: 'user.add', payload: { name: 'erin', role: 'admin', keys: [] } });
  // Node b made erin itself, then pairs with a and learns a's earlier add: b's sessions keep their account.
  const s = run([later]);
  const before = userInfo(s.users.get('erin')!).account;
  apply(s, earlier);
  t.equal(userInfo(s.users.get('erin')!).account, before, 'the same account after the earlier add merges in');
  t.equal(userInfo(run([earlier, later]).users.get('erin')!).account, before, 'and the same on the node that added it first');
  apply(s, ev('c', 72, { type: 'user.remove', payload: { name: 'erin' } }));
  apply(s, ev('a', 73, { type: 'user.add', payload: { name: 'erin', role: 'user', keys: [] } }));
  t.not(userInfo(s.users.get('erin')!).account, before, 'a re-add after a removal is a new account');
});


// peers, pair and unpair as data: a fake peer service, real command registry.
import t from 'tap';
import { runLine, type ConsoleContext } from '../../../appliance/console/index.js';
import type { PeerControl, PeerRow } from '../../../appliance/console/context.js';
import { peersTable } from '../../../appliance/console/peer-verbs.js';
import { peerIdOf } from '../../../appliance/identity/index.js';
import { pairingCode } from '../../../appliance/peer/index.js';

const id = (n: number) => peerIdOf(new Uint8Array(32).fill(n));
const SELF = id(1);
const OTHER = id(2);

const accounts = {
  getUser: (n: string) => ({ name: n, role: n === 'root' ? 'admin' : 'user', hasPassword: false, keys: [] }),
} as unknown as NonNullable<ConsoleContext['accounts']>;

function fake(rows: PeerRow[] = []) {
  const calls: string[] = [];
  const peers: PeerControl = {
    self: SELF,
    list: () => rows,
    pair: async (peer, address, by) => { calls.push(`pair ${peer} ${address ?? '-'} ${by}`); return { code: pairingCode(SELF, peer) }; },
    unpair: async (peer, by) => { calls.push(`unpair ${peer} ${by}`); },
  };
  const ctx = (user: string): ConsoleContext => ({ user, accounts, node: { id: SELF, version: '0', started: 0, peers }, now: () => Date.parse('2026-12-06T12:00:00Z') });
  return { calls, ctx };
}

t.test('pair records the peer and prints the code both sides compare', async (t) => {
  const { calls, ctx } = fake();
  const r = await runLine(ctx('root'), `pair ${OTHER} 10.0.0.2:17034`);
  t.equal(r.error, undefined, r.output);
  t.match(r.output, new RegExp(`pairing code: ${pairingCode(OTHER, SELF)}`), 'the same code the other side computes');
  t.match(r.output, new RegExp(`pair ${SELF}`), 'tells the admin what to run on the other node');
  t.same(calls, [`pair ${OTHER} 10.0.0.2:17034 root`]);
  t.match(r.json, { peer: OTHER, self: SELF, code: pairingCode(SELF, OTHER) });
});

t.test('pair refuses a malformed id, itself, and bad usage, recording nothing', async (t) => {
  const { calls, ctx } = fake();
  t.match(await runLine(ctx('root'), 'pair nonsense'), { error: 'COLONY_INVALID', output: /not a node id/ });
  t.match(await runLine(ctx('root'), `pair ${SELF}`), { error: 'COLONY_INVALID', output: /this node/ });
  t.match(await runLine(ctx('root'), 'pair'), { error: 'COLONY_USAGE' });
  t.match(await runLine(ctx('root'), `pair ${OTHER} a b`), { error: 'COLONY_USAGE' });
  t.match(await runLine(ctx('root'), 'unpair'), { error: 'COLONY_USAGE' });
  t.match(await runLine(ctx('root'), 'peers extra'), { error: 'COLONY_USAGE' });
  t.same(calls, []);
});

t.test('the verbs are for admins', async (t) => {
  const { calls, ctx } = fake();
  for (const line of ['peers', `pair ${OTHER}`, `unpair ${OTHER}`, 'pair --help']) {
    t.match(await runLine(ctx('alice'), line), { error: 'COLONY_PERMISSION' }, line);
  }
  t.same(calls, []);
  t.notMatch((await runLine({ ...ctx('alice'), grid: { status: () => [], scores: () => [] } as never }, 'help')).output, /pair/, 'not in a user\'s help');
});

t.test('--help and help VERB show the syntax', async (t) => {
  const { ctx } = fake();
  for (const verb of ['peers', 'pair', 'unpair']) {
    const a = await runLine(ctx('root'), `${verb} --help`);
    t.match(a.output, new RegExp(`^${verb}`), verb);
    t.same(a, await runLine(ctx('root'), `help ${verb}`));
  }
});

t.test('unpair records it', async (t) => {
  const { calls, ctx } = fake();
  t.match(await runLine(ctx('root'), `unpair ${OTHER}`), { output: /unpaired/ });
  t.same(calls, [`unpair ${OTHER} root`]);
});

t.test('peers lists paired then refused nodes', async (t) => {
  const rows: PeerRow[] = [
    { id: OTHER, paired: true, addresses: ['/ip4/10.0.0.2/tcp/17034'], state: 'connected', lastSeen: '2026-12-06T12:00:00Z' },
    { id: id(3), paired: true, addresses: [], state: 'unreachable', unreachableSince: '2026-12-06T11:00:00Z' },
    { id: id(4), paired: false, addresses: [], state: 'refused', lastSeen: '2026-12-06T11:58:00Z' },
  ];
  const { ctx } = fake(rows);
  const r = await runLine(ctx('root'), 'peers');
  const lines = r.output.split('\n');
  t.equal(lines.length, 4);
  t.match(lines[0], /^NODE\s+ADDRESS\s+STATE\s+LAST SEEN$/);
  t.match(lines[1], new RegExp(`^${OTHER}\\s+/ip4/10.0.0.2/tcp/17034\\s+connected\\s+0s ago$`));
  t.match(lines[2], /\s-\s+unreachable\s+never$/);
  t.match(lines[3], /refused \(not paired\)\s+2m ago$/);
  t.same(r.json, rows);
  t.match(peersTable([], 0), /no peers/);
});

t.test('without a peer network the verbs say so', async (t) => {
  t.match(await runLine({ user: 'root', accounts }, 'peers'), { error: 'COLONY_UNSUPPORTED' });
});

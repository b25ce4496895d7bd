// The supervisor's peer decisions as data: degraded or not, backoff, addresses, config keys.
import t from 'tap';
import { peerIdOf } from '../../../appliance/identity/index.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { backoffMs, MAX_BACKOFF_MS, toMultiaddr, unreachableTooLong } from '../../../appliance/supervisor/peers.js';

const id = (n: number) => peerIdOf(new Uint8Array(32).fill(n));
const at = (s: number) => new Date(Date.UTC(2026, 11, 6) + s * 1000).toISOString();
const NOW = Date.UTC(2026, 11, 6) + 1000 * 1000;

t.test('degraded: a paired peer unreachable at least the limit', async (t) => {
  const rows = [
    { id: id(1), paired: true, state: 'unreachable' as const, unreachableSince: at(1000 - 300) }, // exactly the limit
    { id: id(2), paired: true, state: 'unreachable' as const, unreachableSince: at(1000 - 299) }, // not yet
    { id: id(3), paired: true, state: 'connected' as const },
    { id: id(4), paired: false, state: 'refused' as const },
    { id: id(5), paired: true, state: 'unreachable' as const }, // never tracked
  ];
  t.same(unreachableTooLong(rows, NOW, 300_000), [id(1)]);
  t.same(unreachableTooLong(rows, NOW, 1_000_000), []);
  t.same(unreachableTooLong([], NOW, 0), []);
});

t.test('backoff doubles and is bounded', async (t) => {
  t.same([1, 2, 3, 4].map(backoffMs), [1000, 2000, 4000, 8000]);
  t.equal(backoffMs(1000), MAX_BACKOFF_MS);
});

t.test('addresses: host:port becomes a multiaddr', async (t) => {
  t.equal(toMultiaddr('10.0.0.2:17034'), '/ip4/10.0.0.2/tcp/17034');
  t.equal(toMultiaddr('[::1]:17034'), '/ip6/::1/tcp/17034');
  t.equal(toMultiaddr('colony-2.lan:17034'), '/dns4/colony-2.lan/tcp/17034');
  t.equal(toMultiaddr('/ip4/1.2.3.4/tcp/5'), '/ip4/1.2.3.4/tcp/5');
  t.throws(() => toMultiaddr('nowhere'), { code: 'COLONY_INVALID' });
});

t.test('peer.* config keys', async (t) => {
  const d = defaultConfig(false);
  t.same(d.peer, { listen: ['0.0.0.0:17034'], peers: [], unreachableDegradedSeconds: 300, replication: 'eager', fetchTimeoutSeconds: 10 });
  t.equal(validateConfig({ peer: { replication: 'lazy', fetchTimeoutSeconds: 3 } }, d).peer.replication, 'lazy');
  t.throws(() => validateConfig({ peer: { replication: 'sometimes' } }, d), /'peer.replication': expected eager \| lazy/);
  t.throws(() => validateConfig({ peer: { fetchTimeoutSeconds: 0 } }, d), /fetchTimeoutSeconds/);
  const c = validateConfig({ peer: { listen: [], peers: [{ id: id(2), address: '10.0.0.2:17034' }, { id: id(3), address: '/dns4/x/tcp/1' }], unreachableDegradedSeconds: 60 } }, d);
  t.same(c.peer.listen, [], '[] turns the peer network off');
  t.equal(c.peer.peers.length, 2);
  t.throws(() => validateConfig({ peer: { peers: [{ id: 'nope', address: '1.2.3.4:1' }] } }, d), /'peer.peers\[0\].id'/);
  t.throws(() => validateConfig({ peer: { peers: [{ id: id(2), address: 'nowhere' }] } }, d), /peer.peers\[0\].address/);
  t.throws(() => validateConfig({ peer: { peers: [{ id: id(2), address: '1.2.3.4:1', x: 1 }] } }, d), /peer.peers\[0\]/);
  t.throws(() => validateConfig({ peer: { unreachableDegradedSeconds: 0 } }, d), /unreachableDegradedSeconds/);
  t.throws(() => validateConfig({ peer: { listen: ['x'] } }, d), /peer.listen\[0\]/);
});

t.test('a degraded record claims a running process: dead when its pid is gone', async (t) => {
  const { judgeHealth } = await import('../../../appliance/supervisor/health.js');
  const file = { state: 'degraded' as const, pid: 1, started: at(0), updated: at(1), error: 'paired peers unreachable: x' };
  t.equal(judgeHealth(file, false).state, 'dead');
  t.equal(judgeHealth(file, true).state, 'degraded');
});

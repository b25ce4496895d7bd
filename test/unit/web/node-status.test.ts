// supervisor/node-status.ts as data: the facts the services give in, one NodeStatus out
// (tokens and mount lines dropped); two builds in, the events between them out.
import t from 'tap';
import { StatusWatch, nodeStatus, statusChanges, type StatusFacts } from '../../../appliance/supervisor/node-status.js';
import type { EnvironmentInfo } from '../../../appliance/grid/index.js';
import type { CatalogEvent } from '../../../appliance/catalog/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };

function env(name: string, owner: string): EnvironmentInfo {
  return {
    name, owner, kind: 'ram', base: { owner, name: 'debian', root: 'b3:00' }, head: 'b3:00', cache: { used: 0, size: 1 }, dirtyBytes: 0, clients: 1,
    started: '2026-12-07T12:00:00.000Z', uptimeMs: 61_500, unsaved: true,
    aname: `env/${name}/SECRETTOKENxyz`, mount: `mount -t 9p -o aname=env/${name}/SECRETTOKENxyz HOST /mnt`,
  };
}

function facts(over: Partial<StatusFacts> = {}): StatusFacts {
  return {
    now: Date.parse('2026-12-07T13:00:00.000Z'),
    node: { id: 'node1', name: 'colony-ab12', version: '1.0.0', started: Date.parse('2026-12-07T12:00:00.000Z') },
    health: 'ready',
    board: {
      sample: { temperatureC: 45, memory: { totalBytes: 100, availableBytes: 60 }, load: [1, 2, 3], uptimeSeconds: 5, disk: { path: '/data', totalBytes: 1000, availableBytes: 400 } },
      addresses: ['10.0.0.2'], degraded: [], leds: { condition: 'ready', backend: 'sim', devices: 'status /x' },
    },
    reserveBytes: 300,
    store: undefined,
    ninep: { connections: 1, fids: 2, refused: 0, dropped: 0 },
    environments: [env('dev', 'alice')],
    peers: undefined,
    ...over,
  };
}

t.test('facts in, one NodeStatus out, with no token and no mount line', async (t) => {
  const s = nodeStatus(facts(), { counters: { spawns: 0, booms: 0, saves: 0 }, events: [] });
  t.same(s.node, { id: 'node1', name: 'colony-ab12', version: '1.0.0', started: '2026-12-07T12:00:00.000Z', uptimeSeconds: 3600 });
  t.same(s.environments, [{ name: 'dev', owner: 'alice', kind: 'ram', clients: 1, uptimeSeconds: 61, unsaved: true }]);
  t.same(s.board.disk, { totalBytes: 1000, availableBytes: 400 }, 'no path');
  t.same(s.board.leds, { condition: 'ready', backend: 'sim' });
  t.equal(s.peers, null, 'peer network off');
  t.equal(s.store, null);
  t.notMatch(JSON.stringify(s), /SECRETTOKEN|mount -t|10\.0\.0\.2|\/data/, 'no token, mount line, address or path');
});

t.test('changes between two builds are events', async (t) => {
  const h = { counters: { spawns: 0, booms: 0, saves: 0 }, events: [] };
  const a = nodeStatus(facts({ peers: [{ id: 'p1', paired: true, addresses: [], state: 'connected' }] }), h);
  const b = nodeStatus(facts({ health: 'degraded', board: { ...facts().board!, degraded: ['disk: low'] }, environments: [env('web', 'bob')], peers: [{ id: 'p1', paired: true, addresses: [], state: 'unreachable' }] }), h);
  t.same(statusChanges(undefined, a), [], 'nothing before the first build');
  t.same(statusChanges(a, b).map((e) => [e.kind, e.text, e.anonymous]), [
    ['spawn', 'bob spawned web (ram)', 'an environment started'],
    ['boom', 'dev of alice ended', 'an environment ended'],
    ['health', 'health ready → degraded: disk: low', 'health ready → degraded: disk: low'],
    ['peer', 'peer p1 connected → unreachable', 'a peer is unreachable (was connected)'],
  ]);
});

t.test('replication starting and ending are events', async (t) => {
  const h = { counters: { spawns: 0, booms: 0, saves: 0 }, events: [] };
  const peer = (state?: 'idle' | 'syncing') => [{ id: 'p1', paired: true, addresses: [], state: 'connected' as const, ...(state ? { sync: { state, rateBytesPerSec: 0, receivedBlocks: 0, receivedBytes: 0 } } : {}) }];
  const [none, idle, syncing] = [nodeStatus(facts({ peers: peer() }), h), nodeStatus(facts({ peers: peer('idle') }), h), nodeStatus(facts({ peers: peer('syncing') }), h)];
  t.same(statusChanges(none, idle), [], 'a receiver starting idle is no news');
  t.same(statusChanges(idle, syncing).map((e) => [e.kind, e.text, e.anonymous]), [['replication', 'replicating from p1', 'replicating from a peer']]);
  t.same(statusChanges(syncing, idle).map((e) => e.text), ['replication from p1 idle']);
  t.same(statusChanges(syncing, none).map((e) => e.anonymous), ['replication from a peer stopped']);
});

t.test('the watch counts spawns, booms and saves and keeps the newest events first', async (t) => {
  let envs = [env('dev', 'alice')];
  const watch = new StatusWatch({ gather: async () => facts({ environments: envs }), log: quiet, periodMs: 0 });
  t.equal((await watch.build()).counters.spawns, 0, 'what runs at the first build is not counted');
  envs = [env('dev', 'alice'), env('two', 'alice')];
  let s = await watch.build();
  t.same(s.counters, { spawns: 1, booms: 0, saves: 0 });
  watch.noteCatalog([{ origin: 'n', seq: 1, time: 'x', type: 'name.register', payload: { owner: 'alice', name: 'snap', root: 'b3:00', comment: '', meta: {} } } as CatalogEvent]);
  envs = [];
  s = await watch.build();
  t.same(s.counters, { spawns: 1, booms: 2, saves: 1 });
  t.same(s.events.map((e) => e.kind), ['boom', 'boom', 'save', 'spawn']);
  const [x, y] = [watch.build(), watch.build()];
  t.equal(x, y, 'one build at a time');
  await x;
  watch.stop();
});

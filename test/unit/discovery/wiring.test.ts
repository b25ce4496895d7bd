// The supervisor-facing parts: config keys, the ports and interfaces from the listeners, and
// how `node` and `peers` show what discovery did.
import t from 'tap';
import { listenerPorts, reachableFrom } from '../../../appliance/discovery/index.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { peersTable } from '../../../appliance/console/peer-verbs.js';
import { node } from '../../../appliance/console/account-verbs.js';
import type { ConsoleContext } from '../../../appliance/console/index.js';

t.test('config: discovery on by default, name and interfaces checked', async (t) => {
  t.same(defaultConfig(false).discovery, { enabled: true, name: '', interfaces: [] });
  t.same(validateConfig({ discovery: { enabled: false, name: 'Lab Colony', interfaces: ['eth0'] } }, defaultConfig(false)).discovery, { enabled: false, name: 'Lab Colony', interfaces: ['eth0'] });
  t.throws(() => validateConfig({ discovery: { name: 'a.b' } }, defaultConfig(false)), { message: /discovery\.name/ });
  t.throws(() => validateConfig({ discovery: { interfaces: ['eth0; rm'] } }, defaultConfig(false)), { message: /discovery\.interfaces\[0\]/ });
  t.throws(() => validateConfig({ discovery: { enabled: 'yes' } }, defaultConfig(false)), { message: /discovery\.enabled/ });
});

t.test('listeners: ports for the TXT record, interfaces a listener reaches', async (t) => {
  t.same(listenerPorts({ peer: ['/ip4/10.0.0.1/tcp/17034/p2p/12D3KooWx'], ninep: ['/data/9p.sock', '0.0.0.0:564'], ssh: '0.0.0.0:2222' }), { peer: 17034, ninep: 564, ssh: 2222 });
  t.same(listenerPorts({ peer: [], ninep: ['/data/9p.sock'] }), {}, 'nothing listening on TCP: no port');
  t.ok(reachableFrom(['0.0.0.0:17034'])('10.0.0.1'));
  t.notOk(reachableFrom(['127.0.0.1:0', '127.0.0.1:2222'])('10.0.0.1'), 'loopback listeners: nothing to announce on the LAN');
  t.ok(reachableFrom(['10.0.0.1:17034'])('10.0.0.1'));
});

t.test('peers: a node seen on the LAN, with the hint to pair it', async (t) => {
  const out = peersTable([{ id: '12D3KooWseen', paired: false, addresses: ['10.0.0.2'], state: 'seen', name: 'colony-lab (2)' }], 0);
  t.match(out, /12D3KooWseen\s+10\.0\.0\.2\s+seen on the LAN as 'colony-lab \(2\)' \(not paired\)/);
  t.match(out, /to admit a node seen on the LAN: pair NODE-ID/);
  t.notMatch(peersTable([{ id: '12D3KooWr', paired: false, addresses: [], state: 'refused' }], 0), /seen on the LAN/);
});

t.test('node: the announced name, and a rename with why', async (t) => {
  const ctx = (lan?: () => { name: string; renames: Array<{ from: string; to: string }>; interfaces: string[] }) =>
    ({ user: 'admin', now: () => 1000, node: { id: '12D3KooWx', version: '1.0.0', started: 0, ...(lan ? { lan } : {}) } }) as unknown as ConsoleContext;
  t.notMatch(node(ctx(), []).output, /lan name/, 'discovery off: no line');
  t.match(node(ctx(() => ({ name: 'colony-ab12cd', renames: [], interfaces: ['eth0'] })), []).output, /^lan name colony-ab12cd on eth0$/m);
  const renamed = node(ctx(() => ({ name: 'lab (3)', renames: [{ from: 'lab', to: 'lab (2)' }, { from: 'lab (2)', to: 'lab (3)' }], interfaces: ['eth0', 'wlan0'] })), []);
  t.match(renamed.output, /^lan name lab \(3\) \(renamed from 'lab': the name is taken on the LAN\) on eth0, wlan0$/m);
  t.same((renamed.json as { lan: { name: string } }).lan.name, 'lab (3)');
});

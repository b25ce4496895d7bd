import t from 'tap';
import { BrowseCache, planDials, type Found } from '../../../appliance/discovery/browse.js';
import { recordsOf, type Announcement } from '../../../appliance/discovery/records.js';
import { pickInterfaces } from '../../../appliance/discovery/sockets.js';

const idA = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2aaaaa';
const idB = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2bbbbb';
const annB: Announcement = { instance: 'colony-bbbbb', host: 'colony-bbbbb', addresses: ['10.0.0.2'], nodeId: idB, version: '1', ports: { peer: 17034, ssh: 2222 } };

t.test('cache: a found node, TTL expiry, goodbye, cache flush', async (t) => {
  const c = new BrowseCache();
  c.apply(recordsOf(annB), 1000);
  t.same(c.found(1000), [{ instance: 'colony-bbbbb', nodeId: idB, version: '1', ports: { peer: 17034, ssh: 2222 }, host: 'colony-bbbbb.local', addresses: ['10.0.0.2'] }]);
  t.same(c.missing(1000), []);
  t.same(c.found(1000 + 121_000), [], 'the SRV (120 s) expired: not found');
  t.same(c.missing(1000 + 121_000), [{ name: 'colony-bbbbb._colony._tcp.local', type: 'SRV' }], 'asked for again');
  c.apply(recordsOf(annB, true), 2000);
  t.same(c.found(2000), [], 'goodbye removes it');
  t.equal(c.expire(2000), 0, 'nothing left');
  c.apply(recordsOf(annB), 3000);
  c.apply(recordsOf({ ...annB, addresses: ['10.0.0.9'] }), 5000);
  t.same(c.found(5000)[0]!.addresses, ['10.0.0.9'], 'a flushed A record replaces the old address');
  c.apply(recordsOf({ ...annB, addresses: ['10.0.0.7'] }), 5500);
  t.same(c.found(5500)[0]!.addresses, ['10.0.0.7', '10.0.0.9'], 'within a second both are kept (one announcement on two interfaces)');
  c.apply([{ name: '_colony._tcp.local', type: 'PTR', ttl: 100, data: 'x._colony._tcp.local' }, { name: 'x._colony._tcp.local', type: 'SRV', ttl: 100, data: { port: 1, target: 'x.local' } }, { name: 'x._colony._tcp.local', type: 'TXT', ttl: 100, data: ['foo=1'] }], 6000);
  t.same(c.found(6000).map((f) => f.instance), ['colony-bbbbb'], 'an instance without a Colony TXT is not a node');
});

t.test('cache: bounded', async (t) => {
  const c = new BrowseCache();
  for (let i = 0; i < 5000; i++) c.apply([{ name: `h${i}.local`, type: 'A', ttl: 100, data: '10.0.0.1' }], 0);
  t.equal(c.expire(0), 4096);
});

const found = (id: string, instance: string, addresses: string[], peer?: number): Found => ({ instance, nodeId: id, version: '1', ports: peer ? { peer } : {}, host: `${instance}.local`, addresses });

t.test('what to dial: members at their announced peer port, others seen, self skipped', async (t) => {
  const self = '12D3KooWself';
  const plan = planDials([
    found(self, 'me', ['10.0.0.1'], 17034),
    found(idA, 'colony-a', ['10.0.0.3', '192.168.1.3'], 17034),
    found(idA, 'colony-a (2)', ['10.0.0.4'], 17034),
    found(idB, 'colony-b', ['10.0.0.2'], 17034),
    found('12D3KooWnoport', 'np', ['10.0.0.8']),
  ], self, (id) => id === idA || id === '12D3KooWnoport');
  t.same(plan.dial, [{ id: idA, addresses: ['/ip4/10.0.0.3/tcp/17034', '/ip4/10.0.0.4/tcp/17034', '/ip4/192.168.1.3/tcp/17034'] }], 'one entry per node, a member without a peer port not dialled');
  t.same(plan.seen, [{ id: idB, instance: 'colony-b', addresses: ['10.0.0.2'] }]);
});

t.test('interfaces: all but loopback by default, exactly the named ones otherwise', async (t) => {
  const v4 = (address: string, internal = false) => ({ address, netmask: '255.255.255.0', family: 'IPv4' as const, mac: '', internal, cidr: null });
  const all = { lo: [v4('127.0.0.1', true)], eth0: [v4('10.0.0.1')], wlan0: [v4('192.168.1.5')], v6only: [{ ...v4('fe80::1'), family: 'IPv6' as const, scopeid: 1 }] };
  t.same(pickInterfaces(all, []).chosen, [{ name: 'eth0', address: '10.0.0.1' }, { name: 'wlan0', address: '192.168.1.5' }]);
  t.same(pickInterfaces(all, ['wlan0', 'lo', 'eth9']), { chosen: [{ name: 'lo', address: '127.0.0.1' }, { name: 'wlan0', address: '192.168.1.5' }], absent: ['eth9'] });
});

t.test('cache: after a rename the live records win, and a goodbye removes only its own', async (t) => {
  const annA: Announcement = { ...annB, instance: 'lab', host: 'colony-aaaaa', addresses: ['10.0.0.1'], nodeId: idA };
  const annB2: Announcement = { ...annB, instance: 'lab' };
  const c = new BrowseCache();
  c.apply(recordsOf(annA), 1000); // A announced lab first, then lost it to B
  c.apply(recordsOf(annB2), 5000);
  t.same(c.found(5000).map((f) => f.nodeId), [idB], 'the newest SRV and TXT for lab are B\'s');
  // A withdraws its lab SRV and TXT (TTL 0, no flush) after renaming.
  c.apply(recordsOf(annA).filter((r) => r.type === 'SRV' || r.type === 'TXT').map((r) => ({ ...r, ttl: 0, flush: false })), 6000);
  t.same(c.found(6000).map((f) => f.nodeId), [idB], 'B is still found under lab');
  c.apply(recordsOf(annA, true).filter((r) => r.type === 'SRV'), 7000);
  t.same(c.found(7000).map((f) => f.nodeId), [idB], 'even a goodbye with the flush bit drops A\'s record only');
});

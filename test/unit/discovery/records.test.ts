import t from 'tap';
import { answer, checkInstanceName, conflicts, defaultName, nextName, probeLoses, readColonyTxt, recordsOf, txtStrings, type Announcement } from '../../../appliance/discovery/records.js';

const id = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq';
const ann: Announcement = { instance: 'colony-2nasuq', host: 'colony-2nasuq', addresses: ['10.0.0.5'], nodeId: id, version: '0.9.0', ports: { peer: 17034, ninep: 564, ssh: 2222 } };

t.test('the TXT record: txtvers first, short keys, under 400 bytes, read back', async (t) => {
  const txt = txtStrings(ann);
  t.same(txt, ['txtvers=1', `id=${id}`, 'v=0.9.0', 'peer=17034', '9p=564', 'ssh=2222']);
  t.ok(txt.reduce((n, s) => n + 1 + s.length, 0) < 400);
  t.same(readColonyTxt(txt.map((s) => Buffer.from(s))), { nodeId: id, version: '0.9.0', ports: { peer: 17034, ninep: 564, ssh: 2222 } });
  t.same(txtStrings({ ...ann, ports: { ssh: 22 } }), ['txtvers=1', `id=${id}`, 'v=0.9.0', 'ssh=22'], 'absent ports are left out');
  t.throws(() => txtStrings({ ...ann, version: 'x'.repeat(400) }), { code: 'COLONY_INVALID' });
  t.equal(readColonyTxt(['txtvers=2', `id=${id}`]), undefined, 'another txtvers is not ours');
  t.equal(readColonyTxt(['txtvers=1']), undefined, 'no id: not ours');
  t.same(readColonyTxt(['txtvers=1', `ID=${id}`, `id=other`, 'peer=99999'])?.ports, {}, 'the first key wins, keys fold case, a bad port is dropped');
});

t.test('names: default, check, and the conflict rename rule', async (t) => {
  t.equal(defaultName(id), 'colony-2nasuq');
  t.equal(nextName('colony-ab12'), 'colony-ab12 (2)');
  t.equal(nextName('colony-ab12 (2)'), 'colony-ab12 (3)');
  t.equal(nextName('colony-ab12 (9)'), 'colony-ab12 (10)');
  const long = nextName('x'.repeat(63));
  t.equal(long, `${'x'.repeat(59)} (2)`, 'the base is cut to keep one 63-byte label');
  t.equal(checkInstanceName('My Colony'), 'My Colony');
  for (const bad of ['', 'a.b', 'x'.repeat(64), 'a\nb']) t.throws(() => checkInstanceName(bad), { code: 'COLONY_INVALID' }, JSON.stringify(bad));
});

t.test('records: colony and ssh services, host address, goodbye with TTL 0', async (t) => {
  const rs = recordsOf(ann);
  t.same(rs.map((r) => `${r.type} ${r.name}`), [
    'PTR _colony._tcp.local', 'SRV colony-2nasuq._colony._tcp.local', 'TXT colony-2nasuq._colony._tcp.local', 'PTR _services._dns-sd._udp.local',
    'PTR _ssh._tcp.local', 'SRV colony-2nasuq._ssh._tcp.local', 'TXT colony-2nasuq._ssh._tcp.local', 'PTR _services._dns-sd._udp.local',
    'A colony-2nasuq.local',
  ]);
  t.same(rs[1]!.data, { priority: 0, weight: 0, port: 17034, target: 'colony-2nasuq.local' });
  t.same(rs[5]!.data.port, 2222);
  t.ok(rs.filter((r) => r.type !== 'PTR').every((r) => r.flush), 'unique records carry the cache-flush bit');
  t.ok(rs.filter((r) => r.type === 'PTR').every((r) => !r.flush), 'shared ones do not');
  t.ok(recordsOf(ann, true).every((r) => r.ttl === 0), 'goodbye: TTL 0 on all');
  t.equal(recordsOf({ ...ann, ports: { peer: 1 } }).filter((r) => r.name.includes('_ssh')).length, 0, 'no console port: no _ssh._tcp');
});

t.test('answers: a PTR question brings SRV, TXT and A as additionals; ANY on the instance', async (t) => {
  const rs = recordsOf(ann);
  const ptr = answer(rs, [{ name: '_colony._tcp.local', type: 'PTR' }]);
  t.same(ptr.answers.map((r) => r.type), ['PTR']);
  t.same(ptr.additionals.map((r) => `${r.type} ${r.name}`).sort(), ['A colony-2nasuq.local', 'SRV colony-2nasuq._colony._tcp.local', 'TXT colony-2nasuq._colony._tcp.local']);
  t.same(answer(rs, [{ name: 'COLONY-2NASUQ._colony._tcp.local', type: 'ANY' }]).answers.map((r) => r.type), ['SRV', 'TXT'], 'names fold case');
  t.same(answer(rs, [{ name: 'other.local', type: 'A' }]).answers, []);
});

t.test('conflicts: the same name with other data; our own echo is none', async (t) => {
  const ours = recordsOf(ann);
  t.notOk(conflicts(ours, ann, ours), 'our records looped back');
  const other = recordsOf({ ...ann, host: 'colony-zzzzzz', nodeId: '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2zzzzzz' });
  t.ok(conflicts(ours, ann, other), 'another host with our instance name');
  t.notOk(conflicts(ours, ann, recordsOf({ ...ann, instance: 'colony-other', host: 'colony-zzzzzz' })), 'another name');
  t.notOk(conflicts(ours, ann, other.filter((r) => r.type === 'PTR')), 'shared PTR records never conflict');
});

t.test('simultaneous probes: the earlier data loses, equal data is our own', async (t) => {
  const name = 'colony-2nasuq._colony._tcp.local';
  const ours = recordsOf(ann);
  const theirs = recordsOf({ ...ann, host: 'colony-zzzzzz' });
  t.ok(probeLoses(ours, theirs, name), 'SRV target colony-2… < colony-z…: we lose');
  t.notOk(probeLoses(theirs, ours, name), 'and they win');
  t.notOk(probeLoses(ours, ours, name), 'our own probe');
  t.notOk(probeLoses(ours, [], name), 'a query without authorities');
});

// RFC 6762 §9 on loopback and a private port: an announced name that another host starts
// claiming (a network merge) is probed again; when that host answers, ours renames and
// withdraws the old name's SRV and TXT with TTL 0 and no cache-flush bit, so caches drop
// ours and keep theirs.
import makeMdns from 'multicast-dns';
import t from 'tap';
import type { Log } from '../../../appliance/log.js';
import { startDiscovery } from '../../../appliance/discovery/index.js';

const log: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => log };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
interface R { name: string; type: string; ttl?: number; flush?: boolean; data?: unknown }

t.test('a claimed name is probed again, renamed, and the old one withdrawn', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const a = await startDiscovery({ nodeId: '12D3KooWAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxaaaaaa', version: '1', ports: { peer: 17034 }, name: 'lab', interfaces: ['lo'], log, port });
  t.teardown(() => a.stop());
  await a.announced;
  t.equal(a.name(), 'lab');

  // The other host: same instance, other SRV data; it answers probes for the name.
  const other = makeMdns({ interface: '127.0.0.1', bind: '0.0.0.0', port, loopback: true, reuseAddr: true });
  t.teardown(() => other.destroy());
  await new Promise((r) => other.once('ready', r));
  const theirs = [{ name: 'lab._colony._tcp.local', type: 'SRV' as const, ttl: 120, flush: true, data: { port: 1, target: 'other.local' } }];
  const seen: R[] = [];
  other.on('response', (r: { answers: R[] }) => seen.push(...r.answers));
  other.on('query', (q: { questions: Array<{ name: string }> }) => { if (q.questions.some((x) => x.name.toLowerCase() === 'lab._colony._tcp.local')) other.respond({ answers: theirs }); });
  other.respond({ answers: theirs });

  for (let i = 0; i < 200 && a.name() === 'lab'; i++) await sleep(50);
  t.equal(a.name(), 'lab (2)', 'renamed after probing the claimed name again');
  for (let i = 0; i < 100 && !seen.some((r) => r.ttl === 0); i++) await sleep(50);
  const withdrawn = seen.filter((r) => r.ttl === 0);
  t.same(withdrawn.map((r) => `${r.type} ${r.name} flush=${Boolean(r.flush)}`).sort(), ['SRV lab._colony._tcp.local flush=false', 'TXT lab._colony._tcp.local flush=false'], 'the old SRV and TXT withdrawn, no flush bit, PTR kept');
  t.match(withdrawn.find((r) => r.type === 'SRV')?.data, { target: 'colony-aaaaaa.local' }, 'our data, not theirs');
});

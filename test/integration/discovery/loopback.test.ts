// Two in-process responders on the loopback interface and a private UDP port (not 5353, so a
// responder running on this machine is left alone): each sees the other, the same name
// makes one of them rename, and a stop's goodbye removes it from the other's browse at once.
import t from 'tap';
import type { Log } from '../../../appliance/log.js';
import { startDiscovery, type Discovery, type Found } from '../../../appliance/discovery/index.js';

const ids = ['12D3KooWAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxaaaaaa', '12D3KooWBxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxbbbbbb'];

function recordingLog(lines: string[]): Log {
  const log: Log = { debug: () => {}, info: (_o, m) => lines.push(`info ${m}`), warn: (o, m) => lines.push(`warn ${m} ${JSON.stringify(o)}`), error: (_o, m) => lines.push(`error ${m}`), child: () => log };
  return log;
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  for (let i = 0; i < ms / 50; i++) { if (check()) return; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error(`timed out waiting for ${what}`);
}

t.test('two responders on loopback: same name renamed, found, goodbye', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const lines: string[][] = [[], []];
  const seen: Found[][] = [[], []];
  const start = (i: number) => startDiscovery({
    nodeId: ids[i]!, version: '1.2.3', ports: { peer: 17034 + i, ninep: 5640 + i, ssh: 2222 + i }, name: 'colony-lab', interfaces: ['lo'],
    log: recordingLog(lines[i]!), port, onFound: (f) => { seen[i] = f; },
  });
  const a: Discovery = await start(0);
  t.teardown(() => a.stop());
  await a.announced;
  const b: Discovery = await start(1);
  t.teardown(() => b.stop());
  await b.announced;
  t.equal(a.name(), 'colony-lab', 'the first keeps its name');
  t.equal(b.name(), 'colony-lab (2)', 'the second renames itself');
  t.same(b.renames(), [{ from: 'colony-lab', to: 'colony-lab (2)' }]);
  t.ok(lines[1]!.some((l) => l.startsWith('warn the name is taken on the LAN: renamed')), 'the rename is logged');

  await until('A sees B', () => seen[0]!.some((f) => f.nodeId === ids[1]));
  const fb = seen[0]!.find((f) => f.nodeId === ids[1])!;
  t.same({ instance: fb.instance, ports: fb.ports, version: fb.version, addresses: fb.addresses }, { instance: 'colony-lab (2)', ports: { peer: 17035, ninep: 5641, ssh: 2223 }, version: '1.2.3', addresses: ['127.0.0.1'] });
  await until('B sees A', () => seen[1]!.some((f) => f.nodeId === ids[0]));

  await b.stop();
  // Its records live 120 s and 75 min: only the goodbye can remove them this soon.
  await until('B gone from A', () => !seen[0]!.some((f) => f.nodeId === ids[1]));
  t.pass('the goodbye removed B from A\'s browse');
});

t.test('no interface chosen (or none a listener reaches): nothing opened, nothing announced', async (t) => {
  const lines: string[] = [];
  const d = await startDiscovery({ nodeId: ids[0]!, version: '1', ports: { peer: 1 }, interfaces: ['lo'], reachable: () => false, log: recordingLog(lines) });
  await d.announced;
  t.same([d.interfaces(), d.found(), d.via], [[], [], 'in process']);
  t.ok(lines.some((l) => /no interface to announce on/.test(l)), 'said so in the log');
  await d.stop();
});

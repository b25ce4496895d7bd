// Pairing between real supervisors on loopback: admins pair each other through the console
// (`colony console` over DATA/console.sock), both see the other connected with the same
// pairing code; an unpaired third node is refused and goes `degraded`; unpair disconnects.
import { createServer, type AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { MemoryLog } from '../../../appliance/log.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { readHealth } from '../../../appliance/supervisor/health.js';
import { Supervisor } from '../../../appliance/supervisor/index.js';
import type { PeerRow } from '../../../appliance/supervisor/peers.js';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { serve, waitForHealth } from './serve-helpers.js';

async function started(t: Test, degradedSeconds = 300) {
  const data = await tmpDir(t);
  const config = validateConfig({
    ninep: { listen: ['127.0.0.1:0'] }, ssh: { listen: '127.0.0.1:0' },
    peer: { listen: ['127.0.0.1:0'], unreachableDegradedSeconds: degradedSeconds },
  }, defaultConfig(false));
  const sup = new Supervisor({ data, log: new MemoryLog(), config });
  await sup.start();
  t.teardown(() => sup.stop());
  return { data, sup, id: sup.nodeId, address: sup.peers!.addresses()[0]! };
}

/** Lines through `colony console` as the first admin; the output. */
async function consoleLines(t: Test, data: string, input: string): Promise<string> {
  const r = await runCli(['console', '--data', data], { input });
  t.equal(r.code, 0, r.stderr + r.stdout.toString());
  return r.stdout.toString();
}

/** Polls (bounded: 600 × 100 ms) until `ok` holds for a's view of the peers. */
async function until(sup: Supervisor, ok: (rows: PeerRow[]) => boolean, what: string): Promise<PeerRow[]> {
  let rows: PeerRow[] = [];
  for (let i = 0; i < 600; i++) {
    rows = sup.peers!.list();
    if (ok(rows)) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} never happened; peers ${JSON.stringify(rows)}`);
}
const stateOf = (rows: PeerRow[], id: string) => rows.find((r) => r.id === id)?.state;

t.test('two admins pair their nodes; a third is refused; unpair disconnects', async (t) => {
  const a = await started(t);
  const b = await started(t);
  const c = await started(t, 1);

  const onA = await consoleLines(t, a.data, `pair ${b.id} ${b.address}\n`);
  const onB = await consoleLines(t, b.data, `pair ${a.id} ${a.address}\n`);
  const code = /pairing code: (\S+)/.exec(onA)?.[1];
  t.match(code, /^\d{3}(-\d{3}){5}$/);
  t.equal(/pairing code: (\S+)/.exec(onB)?.[1], code, 'both admins see the same code');
  // Records naming a node itself arrive by replication (B's admin admitted A); they are not peers.
  const peersOf = (n: { sup: Supervisor; id: string }) => n.sup.catalog!.members().map((m) => m.peer).filter((id) => id !== n.id);
  t.same(peersOf(a), [b.id], 'the pairing is a catalog record');

  await until(a.sup, (rows) => stateOf(rows, b.id) === 'connected', 'A connected to B');
  await until(b.sup, (rows) => stateOf(rows, a.id) === 'connected', 'B connected to A');
  const listed = await consoleLines(t, a.data, 'peers\n');
  t.match(listed, new RegExp(`${b.id}\\s+\\S+\\s+connected\\s+\\d+s ago`), 'peers on A shows B connected');

  // C admits A, but A has not admitted C: A's gater refuses C, which stays unreachable.
  await consoleLines(t, c.data, `pair ${a.id} ${a.address}\n`);
  await until(a.sup, (rows) => stateOf(rows, c.id) === 'refused', 'A noting the refused C');
  t.notOk(a.sup.peers!.node.connectedPeers().includes(c.id), 'no connection from C on A');
  const onC = await until(c.sup, (rows) => rows[0]?.error !== undefined, 'C seeing its dial fail');
  t.match(onC, [{ id: a.id, paired: true, state: 'unreachable', error: /did not accept|refused|closed|reset/i }]);
  t.match(await consoleLines(t, a.data, 'peers\n'), new RegExp(`${c.id}\\s+-\\s+refused \\(not paired\\)`), 'A lists C as refused');
  let health = await readHealth(c.data);
  for (let i = 0; i < 300 && health.state !== 'degraded'; i++) { await new Promise((r) => setTimeout(r, 100)); health = await readHealth(c.data); }
  t.match(health, { state: 'degraded', error: new RegExp(a.id) }, 'C is degraded: its paired peer has been unreachable past the limit');
  t.equal((await readHealth(a.data)).state, 'ready', 'A is not');

  t.match(await consoleLines(t, a.data, `unpair ${b.id}\n`), /unpaired/);
  t.notOk(a.sup.peers!.node.connectedPeers().includes(b.id), 'the connection to B is closed at once');
  await until(b.sup, (rows) => stateOf(rows, a.id) === 'unreachable', 'B losing A');
  await until(a.sup, (rows) => stateOf(rows, b.id) === 'refused', 'A refusing B\'s redial');
  t.same(peersOf(a), [], 'A has no members but itself');

  // A record pairing A itself (as one replicated from a member whose admin admitted A) is not a peer to dial.
  await a.sup.catalog!.pair(a.id, { by: 'admin', addresses: [a.address] });
  await a.sup.peers!.tick();
  t.notOk(a.sup.peers!.list().some((r) => r.id === a.id), 'this node is never its own peer');
});

t.test('colony serve --peer, the ready line and colony status name the peer id and address', async (t) => {
  const data = await tmpDir(t);
  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  const ready = s.stderr().split('\n').find((l) => l.includes('colony supervisor ready'));
  const line = JSON.parse(ready!) as { node: string; peer: string[] };
  t.match(line.peer, [new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${line.node}$`)]);
  const status = await runCli(['status', '--data', data]);
  t.equal(status.code, 0, status.stderr);
  t.match(status.stdout.toString(), new RegExp(`\\npeer\\s+/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${line.node}\\n`));
  const json = await runCli(['status', '--data', data, '--json']);
  t.match(JSON.parse(json.stdout.toString()), { peer: { id: line.node, listen: [/\/p2p\//] } });
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0);
});

t.test('a taken peer port fails the start with one line naming peer.listen', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  const data = await tmpDir(t);
  const config = validateConfig({ ninep: { listen: ['127.0.0.1:0'] }, ssh: { listen: '127.0.0.1:0' }, peer: { listen: [`127.0.0.1:${port}`] } }, defaultConfig(false));
  const sup = new Supervisor({ data, log: new MemoryLog(), config });
  await t.rejects(sup.start(), { code: 'COLONY_IO', message: new RegExp(`127\\.0\\.0\\.1:${port}.*peer\\.listen or --peer`) });
  t.match(await readHealth(data), { state: 'error', error: /peer\.listen/ });
});

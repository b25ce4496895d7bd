// /colony/proc/1 between real nodes on loopback, with a fake provider on the answering node:
// list, kill forwarded with an error code carried back, an unknown user, no provider yet,
// unpaired nodes refused (the provider never called), a provider that never answers and a
// peer that never answers (both COLONY_TIMEOUT within the bound), a lying peer
// (COLONY_PROTOCOL, nothing thrown elsewhere), and the per-peer bound on requests at once.
import t, { type Test } from 'tap';
import { ColonyError } from '../../../appliance/errors.js';
import { encodeFrame, PROC_PROTOCOL, startProcProtocol, type ProcInfo, type ProcProvider } from '../../../appliance/peer/index.js';
import { pair, site, type Site } from './blocks-helpers.js';

const proc = (pid: number, owner = 'alice'): ProcInfo => ({
  env: 'debian', owner, pid, ppid: 1, uid: 0, state: 'S', name: 'sh', cmdline: ['sh', '-c', 'sleep 9'], session: 3, rssBytes: 4096,
});

/** A provider over a fixed table: alice owns pids 10 and 11, bob 20; killing another's is COLONY_PERMISSION. */
function fakeProvider() {
  const calls: string[] = [];
  const table = [proc(10), proc(11), proc(20, 'bob')];
  const provider: ProcProvider = {
    async processes(user) { calls.push(`list ${user}`); return table.filter((p) => p.owner === user); },
    async kill(user, env, pid, sig) {
      calls.push(`kill ${user} ${env} ${pid} ${sig}`);
      const p = table.find((x) => x.pid === pid && x.env === env);
      if (!p) throw new ColonyError('COLONY_NOT_FOUND', `process ${pid} not found in ${env}`);
      if (p.owner !== user) throw new ColonyError('COLONY_PERMISSION', `process ${pid} is not ${user}'s`);
    },
  };
  return { provider, calls };
}

const users = new Set(['alice', 'bob']);

/** The error a call failed with (undefined when it did not fail). */
const failure = (p: Promise<unknown>): Promise<ColonyError | undefined> => p.then(() => undefined, (e: ColonyError) => e);

async function serving(t: Test, s: Site, provider?: ProcProvider, serveTimeoutMs?: number) {
  const p = await startProcProtocol({ node: s.node, peers: () => s.node.connectedPeers(), userExists: (u) => users.has(u), log: s.log, ...(provider ? { provider } : {}), ...(serveTimeoutMs ? { serveTimeoutMs } : {}) });
  t.teardown(() => p.stop());
  return p;
}

t.test('list and kill across two nodes; error codes carried back with the node named', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const { provider, calls } = fakeProvider();
  const pa = await serving(t, a);
  const pb = await serving(t, b);

  const [src] = pb.procSources();
  t.equal(src?.node, a.node.peerId, 'one source, named by the node id');
  await t.rejects(src!.list('alice'), { code: 'COLONY_UNSUPPORTED' }, 'no provider set yet');
  pa.setProcProvider(provider);

  t.same((await src!.list('alice')).map((p) => p.pid), [10, 11]);
  t.same(await src!.list('bob'), [proc(20, 'bob')]);
  await t.rejects(src!.list('mallory'), { code: 'COLONY_NOT_FOUND', message: /mallory/ }, 'a user the catalog lacks');
  t.notOk(calls.includes('list mallory'), 'the provider is not asked about an unknown user');

  await src!.kill('alice', 'debian', 10);
  await src!.kill('alice', 'debian', 11, 'SIGTERM');
  const denied = await failure(src!.kill('alice', 'debian', 20));
  t.equal(denied?.code, 'COLONY_PERMISSION');
  t.equal(denied?.detail, `${a.node.peerId}: process 20 is not alice's`);
  await t.rejects(src!.kill('alice', 'debian', 99), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(src!.kill('alice', 'bad/env', 10), { code: 'COLONY_INVALID' }, 'checked before sending');
  t.same(calls.filter((c) => c.startsWith('kill')), ['kill alice debian 10 SIGKILL', 'kill alice debian 11 SIGTERM', 'kill alice debian 20 SIGKILL', 'kill alice debian 99 SIGKILL']);
  t.equal(pb.stats().failed, 0, 'carried errors are answers, not failures');
  await pb.stop();
  t.same(pb.procSources(), [], 'a stopped protocol lists no sources');
  await t.rejects(src!.list('alice'), { code: 'COLONY_CLOSED' });
});

t.test('unpaired nodes are refused; the provider is never asked', async (t) => {
  const [a, c] = [await site(t), await site(t)];
  const { provider, calls } = fakeProvider();
  await serving(t, a, provider);
  // C has not paired A at all: refused locally.
  const pcLocal = await startProcProtocol({ node: c.node, peers: () => [a.node.peerId], userExists: () => true, log: c.log });
  t.teardown(() => pcLocal.stop());
  await t.rejects(pcLocal.procSources()[0]!.list('alice'), { code: 'COLONY_PERMISSION' });
  // C pairs A on its side only: A's gater refuses the connection.
  c.members.add(a.node.peerId);
  await t.rejects(c.node.dial(a.node.peerId, a.node.addresses()), { code: 'COLONY_PERMISSION' }, 'A does not accept C');
  const err = await failure(pcLocal.procSources()[0]!.list('alice'));
  t.ok(err instanceof ColonyError, `refused: ${err?.code}`);
  t.equal(calls.length, 0);

  // Paired, then unpaired on A without enforceMembership(): the handler's own check refuses.
  const b = await site(t);
  await pair(a, b);
  const pb = await serving(t, b);
  t.same(await pb.procSources()[0]!.list('bob'), [proc(20, 'bob')]);
  a.members.remove(b.node.peerId);
  await t.rejects(pb.procSources()[0]!.list('bob'), ColonyError);
  t.same(calls, ['list bob'], 'only the paired request reached the provider');
});

t.test('a provider that never answers: COLONY_TIMEOUT from the node; a silent peer: COLONY_TIMEOUT here', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const never: ProcProvider = { processes: () => new Promise(() => {}), kill: () => new Promise(() => {}) };
  await serving(t, a, never, 300);
  const pb = await serving(t, b);
  let started = Date.now();
  const slow = await failure(pb.procSources()[0]!.list('alice'));
  t.equal(slow?.code, 'COLONY_TIMEOUT');
  t.match(slow?.detail, /listing the processes took over 300 ms/);
  t.ok(Date.now() - started < 1500, `answered in ${Date.now() - started} ms`);

  // D reads the request and never replies: the asker gives up at its own bound (2 s).
  const d = await site(t);
  await pair(d, b);
  await d.node.handle(PROC_PROTOCOL, async (stream) => { for await (const chunk of stream) void chunk; });
  const toD = pb.procSources().find((s) => s.node === d.node.peerId)!;
  started = Date.now();
  const silent = await failure(toD.kill('alice', 'debian', 10));
  const took = Date.now() - started;
  t.equal(silent?.code, 'COLONY_TIMEOUT');
  t.match(silent?.detail, /did not answer within 2000 ms/);
  t.ok(took >= 1900 && took < 4000, `gave up after ${took} ms`);
  t.equal(pb.stats().failed, 1);
});

t.test('a lying peer: every malformed reply is COLONY_PROTOCOL', async (t) => {
  const [liar, b] = [await site(t), await site(t)];
  await pair(liar, b);
  const lies: Buffer[] = [
    encodeFrame({ t: 'processes', procs: [{ ...proc(1), pid: -1 }], truncated: false })[0]!,
    encodeFrame({ t: 'processes', procs: [proc(1), proc(1)], truncated: false })[0]!,
    encodeFrame({ t: 'killed' })[0]!, // to a list
    encodeFrame({ t: 'error', code: 'COLONY_SHRUG', detail: 'x' })[0]!,
    Buffer.from('not a frame at all, and far too long for one: '.repeat(10)),
    Buffer.concat([Buffer.from([0, 0, 0, 5, 0, 0, 0, 0]), Buffer.from('{nope')]),
  ];
  let next = 0;
  await liar.node.handle(PROC_PROTOCOL, async (stream) => {
    const lie = lies[next++]!;
    await stream.write(lie);
    await stream.end();
  });
  const pb = await serving(t, b);
  for (let i = 0; i < lies.length; i++) {
    await t.rejects(pb.procSources()[0]!.list('alice'), { code: 'COLONY_PROTOCOL' }, `lie ${i}`);
  }
  t.equal(pb.stats().failed, lies.length);
});

t.test('requests at once from one peer are bounded', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const held: ProcProvider = { processes: async () => { await gate; return []; }, kill: async () => {} };
  const pa = await startProcProtocol({ node: a.node, peers: () => [], userExists: () => true, provider: held, log: a.log, maxStreamsPerPeer: 2 });
  t.teardown(() => pa.stop());
  // B allows more at once than A serves: A answers the third COLONY_LIMIT.
  const pb = await startProcProtocol({ node: b.node, peers: () => b.node.connectedPeers(), userExists: () => true, log: b.log, maxStreamsPerPeer: 4 });
  t.teardown(() => pb.stop());
  const src = pb.procSources()[0]!;
  const first = [src.list('alice'), src.list('alice')];
  await new Promise((r) => setTimeout(r, 200));
  await t.rejects(src.list('alice'), { code: 'COLONY_LIMIT' }, 'the answering node refuses a third');
  release();
  t.same(await Promise.all(first), [[], []]);
  t.equal(pa.stats().refused, 1);
  // The asker's own bound: a second ask while one is out, with one allowed.
  const e = await site(t);
  await pair(a, e);
  const pe = await startProcProtocol({ node: e.node, peers: () => e.node.connectedPeers(), userExists: () => true, log: e.log, maxStreamsPerPeer: 1 });
  t.teardown(() => pe.stop());
  const s2 = pe.procSources()[0]!;
  const one = s2.list('alice');
  await t.rejects(s2.list('alice'), { code: 'COLONY_LIMIT' }, 'refused here, before any stream');
  t.same(await one, []);
});

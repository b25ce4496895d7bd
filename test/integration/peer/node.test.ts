// Peer nodes on loopback, real sockets: the libp2p peer id is identity's node id, paired
// nodes exchange bytes on a protocol, an unpaired node is refused before any protocol runs
// (handler calls are counted), unpairing closes the live connection and refuses new ones,
// and stop() closes the listener.
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { loadOrCreateIdentity } from '../../../appliance/identity/index.js';
import type { Log } from '../../../appliance/log.js';
import { Membership, startPeerNode, type PeerNode, type PeerStream } from '../../../appliance/peer/index.js';
import { tmpDir } from '../../helpers/tmp.js';

const PROTOCOL = '/colony/test-echo/1';
const LOOPBACK = ['/ip4/127.0.0.1/tcp/0'];

interface Started { node: PeerNode; members: Membership; handled: { count: number }; nodeId: string; logged: Array<{ msg: string; where?: string }> }

/** A Log that keeps what it is told. */
function recordingLog(into: Array<{ msg: string; where?: string }>): Log {
  const keep = (obj: object, msg?: string) => { into.push({ msg: msg ?? '', ...(obj as { where?: string }) }); };
  const log: Log = { debug: keep, info: keep, warn: keep, error: keep, child: () => log };
  return log;
}

async function start(t: Test): Promise<Started> {
  const identity = await loadOrCreateIdentity(await tmpDir(t));
  const members = new Membership();
  const logged: Started['logged'] = [];
  const node = await startPeerNode({ identity, listen: LOOPBACK, isMember: (id) => members.has(id), log: recordingLog(logged) });
  t.teardown(() => node.stop());
  const handled = { count: 0 };
  await node.handle(PROTOCOL, async (stream) => {
    handled.count++;
    for await (const chunk of stream) await stream.write(chunk); // echo
    await stream.end();
  });
  return { node, members, handled, nodeId: identity.nodeId, logged };
}

function pair(a: Started, b: Started) {
  a.members.add(b.node.peerId);
  b.members.add(a.node.peerId);
}

async function readAll(stream: PeerStream): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Polls `check` (bounded: 400 × 25 ms) and returns its last answer. */
async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

t.test('the libp2p peer id is the identity node id', async (t) => {
  const a = await start(t);
  t.equal(a.node.peerId, a.nodeId);
  t.match(a.node.addresses()[0], new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${a.nodeId}$`));
});

t.test('paired nodes exchange bytes on a protocol', async (t) => {
  const [a, b] = [await start(t), await start(t)];
  pair(a, b);
  const { rttMs } = await b.node.dial(a.node.peerId, a.node.addresses());
  t.type(rttMs, 'number');
  t.same(b.node.connectedPeers(), [a.node.peerId]);
  const payload = Buffer.alloc(1 << 20);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const stream = await b.node.newStream(a.node.peerId, PROTOCOL);
  t.equal(stream.remotePeer, a.node.peerId);
  t.equal(stream.protocol, PROTOCOL);
  const echoed = readAll(stream);
  for (let off = 0; off < payload.length; off += 64 * 1024) await stream.write(payload.subarray(off, off + 64 * 1024));
  await stream.end();
  const back = await echoed;
  t.equal(back.length, payload.length);
  t.ok(back.equals(payload), 'the bytes came back unchanged');
  t.equal(a.handled.count, 1, 'one stream, one handler call');
  // Dialling by an address without /p2p/ works too, and reuses the connection.
  await b.node.dial(a.node.peerId, a.node.addresses().map((x) => x.replace(/\/p2p\/.*$/, '')));
  t.same(b.node.connectedPeers(), [a.node.peerId]);
});

t.test('an unpaired node is refused before any protocol runs', async (t) => {
  const [a, c] = [await start(t), await start(t)];
  c.members.add(a.node.peerId); // c trusts a, a has never paired c
  await t.rejects(c.node.dial(a.node.peerId, a.node.addresses()), { code: 'COLONY_PERMISSION', message: /did not accept/ });
  await t.rejects(c.node.newStream(a.node.peerId, PROTOCOL), { code: /^COLONY_/ });
  t.equal(a.handled.count, 0, "a's handler never ran");
  const refusals = a.logged.filter((e) => e.msg === 'refused an unpaired peer');
  t.ok(refusals.length >= 1 && refusals.every((e) => e.where === 'inbound'), "a's gater refused c's inbound connections");
  t.same(a.node.connectedPeers(), [], 'a holds no connection to c');
  t.ok(await eventually(() => c.node.connectedPeers().length === 0), 'c holds none to a');
  // a's side refuses locally, without opening a socket.
  await t.rejects(a.node.dial(c.node.peerId, c.node.addresses()), { code: 'COLONY_PERMISSION', message: /not paired/ });
  await t.rejects(a.node.newStream(c.node.peerId, PROTOCOL), { code: 'COLONY_PERMISSION' });
  t.equal(c.handled.count, 0);
});

t.test('malformed dial arguments', async (t) => {
  const [a, b] = [await start(t), await start(t)];
  pair(a, b);
  await t.rejects(a.node.dial('bogus', ['/ip4/127.0.0.1/tcp/1']), { code: 'COLONY_INVALID' });
  await t.rejects(a.node.dial(b.node.peerId, []), { code: 'COLONY_INVALID' });
  await t.rejects(a.node.dial(b.node.peerId, [`/ip4/127.0.0.1/tcp/1/p2p/${a.node.peerId}`]), { code: 'COLONY_INVALID', message: /another peer/ });
});

t.test('unpairing closes the live connection and refuses new ones', async (t) => {
  const [a, b] = [await start(t), await start(t)];
  pair(a, b);
  await b.node.dial(a.node.peerId, a.node.addresses());
  const s1 = await b.node.newStream(a.node.peerId, PROTOCOL);
  await s1.write(Buffer.from('hello'));
  await s1.end();
  t.equal((await readAll(s1)).toString(), 'hello');
  t.equal(a.handled.count, 1);

  a.members.remove(b.node.peerId);
  // Before a enforces it, a new stream on the old connection is still refused by a.
  const early = await b.node.newStream(a.node.peerId, PROTOCOL).then(
    async (s) => { await s.write(Buffer.from('x')); await s.end(); return readAll(s); },
  ).catch((err: Error) => err);
  t.ok(early instanceof Error || early.length === 0, 'no echo from an unpaired peer');
  t.equal(a.handled.count, 1, "a's handler did not run again");

  t.equal(await a.node.enforceMembership(), 1, 'one peer hung up');
  t.equal(await a.node.enforceMembership(), 0, 'nothing left to hang up');
  t.ok(await eventually(() => b.node.connectedPeers().length === 0), 'b saw the connection close');
  t.same(a.node.connectedPeers(), []);
  await t.rejects(b.node.dial(a.node.peerId, a.node.addresses()), { code: 'COLONY_PERMISSION' });
  t.equal(a.handled.count, 1);
  t.same(a.node.connectedPeers(), [], 'the redial left no connection');
});

t.test('stop closes the listener and is idempotent', async (t) => {
  const a = await start(t);
  const port = Number(/\/tcp\/(\d+)\//.exec(a.node.addresses()[0]!)![1]);
  await a.node.stop();
  await a.node.stop();
  const outcome = await new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve('connected'); });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  t.equal(outcome, 'ECONNREFUSED');
});

t.test('a handler that throws resets its stream; the node carries on', async (t) => {
  const [a, b] = [await start(t), await start(t)];
  pair(a, b);
  let calls = 0;
  await a.node.handle('/colony/test-throw/1', async (stream) => {
    calls++;
    for await (const chunk of stream) if (chunk.length) throw new Error('handler broke');
  });
  await t.rejects(b.node.newStream(a.node.peerId, '/colony/test-throw/1'), { code: 'COLONY_IO', message: /no valid addresses/ }, 'no connection and no known address');
  await b.node.dial(a.node.peerId, a.node.addresses());
  const s = await b.node.newStream(a.node.peerId, '/colony/test-throw/1');
  const outcome = (async () => { await s.write(Buffer.from('boom')); return readAll(s); })().catch((err: Error) => err);
  const result = await outcome;
  t.ok(result instanceof Error || result.length === 0, 'the stream ended without an answer');
  t.equal(calls, 1);
  t.ok(await eventually(() => a.logged.some((e) => e.msg === 'a peer protocol handler failed')), 'the failure was logged');
  // The connection is still good for other streams.
  const echo = await b.node.newStream(a.node.peerId, PROTOCOL);
  await echo.write(Buffer.from('still here'));
  await echo.end();
  t.equal((await readAll(echo)).toString(), 'still here');
});

t.test('dial failures are Colony errors', async (t) => {
  const [a, b] = [await start(t), await start(t)];
  pair(a, b);
  const port = Number(/\/tcp\/(\d+)\//.exec(b.node.addresses()[0]!)![1]);
  await b.node.stop();
  await t.rejects(a.node.dial(b.node.peerId, [`/ip4/127.0.0.1/tcp/${port}`]), { code: 'COLONY_IO', message: /dialling/ });
  const aborted = AbortSignal.abort();
  await t.rejects(a.node.dial(b.node.peerId, [`/ip4/127.0.0.1/tcp/${port}`], { signal: aborted }), { code: 'COLONY_TIMEOUT' });
});

t.test('a key that does not give the node id is refused', async (t) => {
  const dir = await tmpDir(t);
  const identity = await loadOrCreateIdentity(dir);
  const other = await loadOrCreateIdentity(await tmpDir(t));
  await t.rejects(startPeerNode({ identity: { path: identity.path, nodeId: other.nodeId }, listen: LOOPBACK, isMember: () => true, log: recordingLog([]) }),
    { code: 'COLONY_INTERNAL', message: /is not the node id/ });
});

t.test('stop with a stream open ends it on both sides', async (t) => {
  const [a, b] = [await start(t), await start(t)];
  pair(a, b);
  let release = () => {};
  const held = new Promise<void>((r) => { release = r; });
  await a.node.handle('/colony/test-hold/1', async (stream) => {
    await stream.write(Buffer.from('hi'));
    await held; // keeps the stream open until the test lets go
  });
  await b.node.dial(a.node.peerId, a.node.addresses());
  const s = await b.node.newStream(a.node.peerId, '/colony/test-hold/1');
  const reading = readAll(s).catch((err: Error) => err);
  await a.node.stop();
  release();
  const result = await reading;
  t.ok(result instanceof Error || result.toString() === 'hi', "b's read ended");
  t.ok(await eventually(() => b.node.connectedPeers().length === 0), 'b saw the connection go');
});

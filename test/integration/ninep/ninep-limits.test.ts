// Issue 12, finding 1: what a peer without a token can make the 9P server hold. Real
// sockets on loopback; assertions count bytes and connections, never time.
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { NinepClient } from '../../../appliance/ninep/client.js';
import { encode } from '../../../appliance/ninep/codec.js';
import { NOFID, NONUNAME } from '../../../appliance/ninep/constants.js';
import { MemFs } from '../../../appliance/ninep/memfs.js';
import { NinepServer, type NinepServerOptions } from '../../../appliance/ninep/server.js';
import { memRouter, until } from './harness.js';

const MiB = 1024 * 1024;

async function tcpServer(t: Test, opts: Partial<NinepServerOptions> = {}): Promise<{ server: NinepServer; fs: MemFs; port: number; addr: string }> {
  const fs = new MemFs();
  const server = new NinepServer({ router: memRouter(fs), ...opts });
  const l = await server.listen('127.0.0.1:0');
  t.teardown(() => server.close());
  return { server, fs, port: Number(l.address.split(':').pop()), addr: l.address };
}

/** A raw socket (from `from`, a 127/8 address) that records whether the server closed it. */
async function raw(t: Test, port: number, from = '127.0.0.1'): Promise<Socket & { gone: boolean }> {
  const s = connect({ port, host: '127.0.0.1', localAddress: from }) as Socket & { gone: boolean };
  s.gone = false;
  s.on('error', () => {});
  s.on('close', () => { s.gone = true; });
  s.resume(); // read (and discard) replies, so the server's FIN is seen
  await new Promise<void>((resolve) => { s.once('connect', resolve); s.once('close', () => resolve()); });
  t.teardown(() => { s.destroy(); });
  return s;
}

const frameHead = (size: number, type = 100, tag = 0xffff): Buffer => {
  const b = Buffer.alloc(7);
  b.writeUInt32LE(size, 0); b[4] = type; b.writeUInt16LE(tag, 5);
  return b;
};
const tversion = (msize: number) => encode({ type: 'Tversion', tag: 0xffff, msize, version: '9P2000.L' });
const tattach = (tag: number, fid: number, aname: string) => encode({ type: 'Tattach', tag, fid, afid: NOFID, uname: 'u', aname, nUname: NONUNAME });
const written = (s: Socket, b: Buffer) => new Promise<void>((resolve) => s.write(b, () => resolve()));
/** Sends Tversion and waits for the answer (the server serves nothing else until then). */
const versioned = (s: Socket, msize: number) => new Promise<void>((resolve) => { s.once('data', () => resolve()); s.write(tversion(msize)); });

t.test('a stranger cannot make the server buffer a big frame: it is refused from its size field', async (t) => {
  const { server, port } = await tcpServer(t);
  const conns: Array<Socket & { gone: boolean }> = [];
  // Half before Tversion, half after a Tversion that negotiated a 1 MiB msize.
  for (let i = 0; i < 20; i++) {
    const s = await raw(t, port);
    if (i % 2) await versioned(s, MiB);
    s.write(frameHead(MiB));
    s.write(Buffer.alloc(256 * 1024, 1)); // part of the body; the server may reset before it is all taken
    conns.push(s);
  }
  await until(() => conns.every((s) => s.gone), 'the server to close every connection');
  t.equal(server.usage().bufferedBytes, 0);
  t.equal(server.usage().dropped, 20);
  t.equal(server.usage().connections, 0);
});

t.test('after an attach the negotiated msize applies; a partial frame stays buffered, bounded by it', async (t) => {
  const { server, port } = await tcpServer(t, { maxMsize: 256 * 1024 });
  const s = await raw(t, port);
  await versioned(s, MiB);
  await written(s, tattach(1, 1, 'mem'));
  await until(() => server.usage().unattached === 0, 'the attach');
  s.write(frameHead(200 * 1024, 118, 2));
  await written(s, Buffer.alloc(100 * 1024));
  await until(() => server.usage().bufferedBytes >= 100 * 1024, 'the partial frame to be read');
  t.notOk(s.gone, 'an attached peer may send frames up to msize');
  // Over msize (256 KiB) is refused even attached, without waiting for its body.
  const s2 = await raw(t, port);
  await versioned(s2, MiB);
  await written(s2, tattach(1, 1, 'mem'));
  await written(s2, frameHead(300 * 1024, 118, 2));
  await until(() => s2.gone, 'the oversized frame to close its connection');
});

t.test('TCP connections are capped per address and overall, and refused ones are counted', async (t) => {
  const { server, port } = await tcpServer(t, { limits: { maxConnections: 5, maxPerAddress: 3 } });
  const a = [await raw(t, port), await raw(t, port), await raw(t, port), await raw(t, port)];
  await until(() => a[3]!.gone, 'the fourth connection from 127.0.0.1 to be refused');
  t.same(a.map((s) => s.gone), [false, false, false, true]);
  const b = [await raw(t, port, '127.0.0.2'), await raw(t, port, '127.0.0.2'), await raw(t, port, '127.0.0.3')];
  await until(() => b[2]!.gone, 'the sixth connection overall to be refused');
  t.same(b.map((s) => s.gone), [false, false, true]);
  t.equal(server.usage().tcpConnections, 5);
  t.equal(server.usage().refused, 2);
  // A slot frees when its connection ends.
  a[0]!.destroy();
  await until(() => server.usage().tcpConnections === 4, 'the slot to be released');
  const c = await NinepClient.connect(`127.0.0.1:${port}`);
  t.teardown(() => c.close());
  t.ok((await c.attach('mem')).qid, 'a new connection is served again');
});

t.test('no attach within the handshake timeout closes the connection; an attached idle one stays', async (t) => {
  const { server, fs, addr, port } = await tcpServer(t, { limits: { handshakeTimeoutMs: 100 } });
  fs.writeFile('x', 'still here');
  const mounted = await NinepClient.connect(addr);
  t.teardown(() => mounted.close());
  const root = await mounted.attach('mem');
  const stranger = await raw(t, port);
  await versioned(stranger, 65536);
  await until(() => stranger.gone, 'the stranger to be closed');
  // Idle past several handshake timeouts: still served.
  await new Promise((r) => setTimeout(r, 400));
  const f = await mounted.walk(root.fid, ['x']);
  await mounted.open(f.fid);
  t.equal((await mounted.read(f.fid, 0, 100)).toString(), 'still here');
  t.equal(server.usage().dropped, 1);
});

t.test('slowloris: a frame trickling in is cut off at the frame timeout, attached or not', async (t) => {
  const { server, port } = await tcpServer(t, { limits: { frameTimeoutMs: 150, handshakeTimeoutMs: 0 } });
  const s = await raw(t, port);
  await versioned(s, 65536);
  await written(s, tattach(1, 1, 'mem'));
  await until(() => server.usage().unattached === 0, 'the attach');
  const frame = encode({ type: 'Tclunk', tag: 2, fid: 1 });
  let sent = 0;
  // One byte every 20 ms: the frame (11 bytes) would take 220 ms; bounded by the frame length.
  const drip = setInterval(() => { if (sent < frame.length - 1 && !s.gone) s.write(frame.subarray(sent, ++sent)); }, 20);
  t.teardown(() => clearInterval(drip));
  await until(() => s.gone, 'the slow frame to close the connection');
  clearInterval(drip);
  t.ok(sent < frame.length, 'the frame never completed');
  t.equal(server.usage().dropped, 1);
});

t.test('a peer that sends big Treads and never reads: reading stops, queued replies stay bounded', async (t) => {
  const bound = 2 * MiB;
  const { server, fs, addr } = await tcpServer(t, { limits: { maxQueuedReplyBytes: bound } });
  fs.writeFile('big', Buffer.alloc(MiB, 7));
  const c = await NinepClient.connect(addr, { msize: MiB });
  t.teardown(() => c.close());
  const root = await c.attach('mem');
  const f = await c.walk(root.fid, ['big']);
  await c.open(f.fid);
  c.stream.pause();
  const treads = Buffer.concat(Array.from({ length: 60 }, (_, i) => encode({ type: 'Tread', tag: 1000 + i, fid: f.fid, offset: 0, count: MiB })));
  c.stream.write(treads);
  await until(() => server.usage().paused === 1 && server.stats().outstanding === 0, 'reading to stop and the started requests to finish');
  const u = server.usage();
  t.equal(u.paused, 1, 'the server stopped reading that socket');
  t.ok(u.queuedReplyBytes <= bound + MiB, `queued ${u.queuedReplyBytes} bytes, at most the bound plus one reply`);
  t.ok(u.bufferedBytes > 0, 'the rest of the Treads wait unread');
  c.stream.destroy();
  await until(() => server.usage().connections === 0, 'the connection to go');
});

t.test('many peers that never read: the server-wide bound holds, and a reading client still gets its data', async (t) => {
  const maxHeld = 3 * MiB;
  const { server, fs, addr } = await tcpServer(t, { limits: { maxQueuedReplyBytes: 8 * MiB, maxHeldBytes: maxHeld, fairShareBytes: 256 * 1024 } });
  fs.writeFile('big', Buffer.alloc(MiB, 7));
  const greedy: NinepClient[] = [];
  for (let i = 0; i < 6; i++) {
    const c = await NinepClient.connect(addr, { msize: MiB });
    t.teardown(() => c.close());
    const root = await c.attach('mem');
    const f = await c.walk(root.fid, ['big']);
    await c.open(f.fid);
    c.stream.pause();
    c.stream.write(Buffer.concat(Array.from({ length: 30 }, (_, j) => encode({ type: 'Tread', tag: 1000 + j, fid: f.fid, offset: 0, count: MiB }))));
    greedy.push(c);
  }
  await until(() => server.usage().paused === 6 && server.stats().outstanding === 0, 'all six to be paused with nothing running');
  const u = server.usage();
  // Each may pass the total by at most what it held when it was last let through: its fair
  // share plus one reply (1 MiB) and one request; six per-connection bounds would be 48 MiB.
  const held = u.queuedReplyBytes + u.reservedReplyBytes;
  t.ok(held <= maxHeld + 6 * (256 * 1024 + MiB + 64), `held ${held} bytes`);
  // An honest client, with little of its own in flight, is still served while they hold on.
  const honest = await NinepClient.connect(addr, { msize: 64 * 1024 });
  t.teardown(() => honest.close());
  const root = await honest.attach('mem');
  const f = await honest.walk(root.fid, ['big']);
  await honest.open(f.fid);
  const data = await honest.read(f.fid, 0, 32 * 1024);
  t.equal(data.length, 32 * 1024, 'it reads');
  // When the greedy ones go, nothing stays held.
  for (const c of greedy) c.stream.destroy();
  await until(() => server.usage().connections === 1, 'the greedy connections to go');
  t.equal(server.usage().queuedReplyBytes, 0);
});

t.test('fids per connection are capped (EMFILE)', async (t) => {
  const { addr } = await tcpServer(t, { maxFids: 8 });
  const c = await NinepClient.connect(addr);
  t.teardown(() => c.close());
  const root = await c.attach('mem');
  for (let i = 0; i < 7; i++) await c.walk(root.fid, []);
  await t.rejects(c.walk(root.fid, []), { code: 'COLONY_LIMIT', message: /EMFILE/ });
});

t.test('fids are capped across connections too, and a closed connection gives its fids back', async (t) => {
  const { server, addr } = await tcpServer(t, { maxFids: 8, limits: { maxTotalFids: 12 } });
  const a = await NinepClient.connect(addr);
  const ra = await a.attach('mem');
  for (let i = 0; i < 7; i++) await a.walk(ra.fid, []); // a holds 8, its own cap
  const b = await NinepClient.connect(addr);
  t.teardown(() => b.close());
  const rb = await b.attach('mem');
  for (let i = 0; i < 3; i++) await b.walk(rb.fid, []); // 12 in all
  await t.rejects(b.walk(rb.fid, []), { code: 'COLONY_LIMIT', message: /EMFILE/ }, 'b is under its own cap, the server is at its');
  await a.close();
  await until(() => server.stats().fids === 4, 'a\'s fids to go');
  await b.walk(rb.fid, []);
  t.equal(server.stats().fids, 5, 'room again once a closed');
});

t.test('pre-attach a peer gets only a few requests in flight', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let routed = 0;
  const server = new NinepServer({
    router: async () => { routed++; await gate; throw new Error('refused'); },
    limits: { preAuthMaxOutstanding: 2 },
  });
  t.teardown(() => server.close());
  const l = await server.listen('127.0.0.1:0');
  t.teardown(() => release());
  const s = await raw(t, Number(l.address.split(':').pop()));
  await versioned(s, 65536);
  await written(s, Buffer.concat(Array.from({ length: 10 }, (_, i) => tattach(i, i, 'x'))));
  await until(() => server.stats().outstanding === 2 && server.usage().paused === 1, 'two attaches to wait');
  t.equal(routed, 2);
});

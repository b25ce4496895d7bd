// /colony/blocks/1 frames as data: round trips split at every byte, the size bounds checked
// before the bytes are read, malformed headers refused, a timed-out read kept for later;
// pages and fetches travel as binary records (56 bytes an entry, 32 a score), not JSON, and
// a block's score as 32 bytes before its bytes.
import t from 'tap';
import { checkMessage, encodeFrame, ENTRY_BYTES, FrameReader, MAX_HEADER_BYTES, type Message, type WireEntry } from '../../../appliance/peer/block-protocol.js';

async function* chunks(parts: Buffer[]): AsyncGenerator<Uint8Array> { for (const p of parts) yield p; }

t.test('frames survive any split of the byte stream', async (t) => {
  const body = Buffer.alloc(300, 7);
  const msgs: Array<[Message, Buffer?]> = [
    [{ t: 'hello', v: 1, epoch: 'ab'.repeat(16), head: 42 }],
    [{ t: 'block', score: 'cd'.repeat(32), type: 1 }, body],
    [{ t: 'done' }],
    [{ t: 'page', entries: [[0, 4136, 'ef'.repeat(32), 1, 4096], [2 ** 40 + 7, 2 ** 40 + 100, '01'.repeat(32), 254, 57]], next: 2 ** 40 + 100, head: 2 ** 41 }],
    [{ t: 'fetch', scores: ['ef'.repeat(32), '01'.repeat(32)] }],
    [{ t: 'page', entries: [], next: 5, head: 5 }],
  ];
  const wire = Buffer.concat(msgs.flatMap(([m, b]) => encodeFrame(m, b)));
  for (const step of [1, 3, 7, 8, 13, 64, wire.length]) {
    const parts: Buffer[] = [];
    for (let i = 0; i < wire.length; i += step) parts.push(wire.subarray(i, i + step));
    const r = new FrameReader(chunks(parts));
    const got = [];
    for (let i = 0; i < 10; i++) {
      const f = await r.next(1000);
      if (f === undefined) break;
      if (f === 'timeout') throw new Error('timeout');
      got.push(f);
    }
    t.same(got.map((f) => f.msg), msgs.map(([m]) => m), `split every ${step}`);
    t.same(got[1]!.body, body);
  }
});

t.test('a page costs ENTRY_BYTES an entry and a fetch 32 bytes a score on the wire', async (t) => {
  const entries: WireEntry[] = Array.from({ length: 1024 }, (_, i) => [1e9 + i * 9000, 1e9 + i * 9000 + 8232, i.toString(16).padStart(64, '0'), 1, 8192]);
  const page = Buffer.concat(encodeFrame({ t: 'page', entries, next: 2e9, head: 3e9 }));
  t.ok(page.length <= 1024 * ENTRY_BYTES + 100, `a page of 1024 entries is ${page.length} bytes`);
  const scores = entries.map((e) => e[2]);
  const fetch = Buffer.concat(encodeFrame({ t: 'fetch', scores }));
  t.ok(fetch.length <= 1024 * 32 + 40, `a fetch of 1024 scores is ${fetch.length} bytes`);
  const r = new FrameReader(chunks([page, fetch]));
  const [p, f] = [await r.next(1000), await r.next(1000)];
  t.same(p !== 'timeout' && p?.msg, { t: 'page', entries, next: 2e9, head: 3e9 });
  t.same(f !== 'timeout' && f?.msg, { t: 'fetch', scores });
});

t.test('a block frame: its score as 32 binary bytes before the bytes, the body handed over as a view', async (t) => {
  const body = Buffer.alloc(8000, 5);
  const wire = Buffer.concat(encodeFrame({ t: 'block', score: 'ab'.repeat(32), type: 3 }, body));
  t.ok(wire.length <= body.length + 8 + 24 + 32, `a block of ${body.length} bytes is ${wire.length} on the wire`);
  const f = await new FrameReader(chunks([wire])).next(1000);
  t.same(f !== 'timeout' && f?.msg, { t: 'block', score: 'ab'.repeat(32), type: 3 });
  t.ok(f !== 'timeout' && f?.body.equals(body));
  const bare = Buffer.concat(encodeFrame({ t: 'done' }));
  const noScore = Buffer.from(JSON.stringify({ t: 'block', type: 1 }));
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32BE(noScore.length, 0);
  prefix.writeUInt32BE(10, 4);
  await t.rejects(new FrameReader(chunks([prefix, noScore, Buffer.alloc(10), bare])).next(1000), { code: 'COLONY_PROTOCOL' });
});

t.test('a page or fetch whose body does not match its count is a protocol error', async (t) => {
  const [prefix, body] = encodeFrame({ t: 'page', entries: [[0, 10, 'ab'.repeat(32), 1, 2]], next: 10, head: 10 });
  await t.rejects(new FrameReader(chunks([prefix!, body!.subarray(0, 55)])).next(1000), { code: 'COLONY_PROTOCOL' });
  const header = Buffer.from(JSON.stringify({ t: 'fetch', n: 2 }));
  const lying = Buffer.alloc(8);
  lying.writeUInt32BE(header.length, 0);
  lying.writeUInt32BE(32, 4);
  await t.rejects(new FrameReader(chunks([lying, header, Buffer.alloc(32)])).next(1000), { code: 'COLONY_PROTOCOL' });
  t.throws(() => encodeFrame({ t: 'fetch', scores: ['00'] }), { code: 'COLONY_PROTOCOL' });
});

t.test('an oversized frame is refused from its length alone', async (t) => {
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32BE(MAX_HEADER_BYTES + 1, 0);
  await t.rejects(new FrameReader(chunks([prefix])).next(1000), { code: 'COLONY_PROTOCOL' });
  const big = Buffer.alloc(8);
  big.writeUInt32BE(2, 0);
  big.writeUInt32BE(1 << 30, 4);
  await t.rejects(new FrameReader(chunks([big])).next(1000), { code: 'COLONY_PROTOCOL' });
});

t.test('a stream that ends inside a frame, and malformed messages, are protocol errors', async (t) => {
  const [whole] = encodeFrame({ t: 'done' });
  await t.rejects(new FrameReader(chunks([whole!.subarray(0, 5)])).next(1000), { code: 'COLONY_PROTOCOL' });
  await t.rejects(new FrameReader(chunks([whole!.subarray(0, 10)])).next(1000), { code: 'COLONY_PROTOCOL' });
  for (const bad of [null, 3, { t: 'nope' }, { t: 'hello', v: 1, epoch: 'xyz', head: 0 }, { t: 'entries', from: -1, limit: 5 },
    { t: 'entries', from: 0, limit: 100_000 }, { t: 'fetch', scores: ['00'] }, { t: 'page', entries: [[0, 1, 'ab', 1]], next: 1, head: 1 },
    { t: 'fetch', n: 1025 }, { t: 'block', type: -1 }, { t: 'page', n: 4097, next: 1, head: 1 }, { t: 'page', n: 1, next: -1, head: 1 }]) {
    t.throws(() => checkMessage(bad), { code: 'COLONY_PROTOCOL' }, JSON.stringify(bad));
  }
});

t.test('a read that times out is not lost: the next call gets the frame', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  async function* slow(): AsyncGenerator<Uint8Array> { await gate; yield* encodeFrame({ t: 'done' }); }
  const r = new FrameReader(slow());
  t.equal(await r.next(10), 'timeout');
  release();
  const f = await r.next(1000);
  t.same(f !== 'timeout' && f?.msg, { t: 'done' });
  t.equal(await r.next(1000), undefined, 'then the end');
});

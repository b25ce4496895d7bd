// The grid's one frame layout (frames.ts): a frame arriving in 1- and 7-byte chunks, a large
// frame in many chunks assembled with each byte copied at most once (a reader that joins
// its buffer on every chunk copies quadratically), a whole-chunk body not copied at all,
// bounds checked from the prefix alone, and a timed-out read kept for the next call.
import t from 'tap';
import { COALESCE_BYTES, encodeFrame, FrameReader, FRAME_PREFIX_BYTES, writeFrame } from '../../../appliance/peer/frames.js';

const limits = { maxHeader: 1 << 20, maxBody: 64 << 20 };
const any = (v: unknown) => v as { t: string };

/** Yields `bytes` in chunks of `step`, counting the chunks read. */
function chunked(bytes: Buffer, step: number) {
  const seen = { read: 0 };
  async function* gen(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += step) { seen.read++; yield bytes.subarray(i, i + step); }
  }
  return { stream: gen(), seen };
}

async function readAll(r: FrameReader<{ t: string }>) {
  const got = [];
  for (let i = 0; i < 100; i++) {
    const f = await r.next(5000);
    if (f === 'timeout') throw new Error('timeout');
    if (f === undefined) break;
    got.push(f);
  }
  return got;
}

t.test('frames arriving in 1-byte and 7-byte chunks are read back whole', async (t) => {
  const body = Buffer.from([...Array(300).keys()].map((i) => i & 255));
  const wire = Buffer.concat([...encodeFrame({ t: 'a', n: 1 }), ...encodeFrame({ t: 'b' }, body), ...encodeFrame({ t: 'c' })]);
  for (const step of [1, 7]) {
    const got = await readAll(new FrameReader(chunked(wire, step).stream, limits, any));
    t.same(got.map((f) => f.msg), [{ t: 'a', n: 1 }, { t: 'b' }, { t: 'c' }], `chunks of ${step}`);
    t.same(got.map((f) => f.body.length), [0, 300, 0]);
    t.ok(got[1]!.body.equals(body), 'the body is intact');
  }
});

t.test('a large frame in many chunks: each byte copied at most once', async (t) => {
  const body = Buffer.alloc(8 << 20);
  for (let i = 0; i < body.length; i += 4096) body[i] = (i >> 12) & 255;
  const wire = Buffer.concat(encodeFrame({ t: 'block' }, body));
  const { stream, seen } = chunked(wire, 4096);
  const r = new FrameReader(stream, limits, any);
  const [f] = await readAll(r);
  t.ok(f!.body.equals(body), 'the body is intact');
  t.equal(seen.read, Math.ceil(wire.length / 4096), 'every chunk was read');
  // Joining the buffer on each of ~2 000 chunks would copy ~8 GiB; one copy is 8 MiB.
  t.ok(r.copiedBytes <= wire.length, `copied ${r.copiedBytes} bytes for a ${wire.length}-byte frame`);
});

t.test('a body that is one whole chunk is handed over without a copy', async (t) => {
  const body = Buffer.alloc(1000, 9);
  async function* gen() { yield* encodeFrame({ t: 'block' }, body); }
  const r = new FrameReader(gen(), limits, any);
  const f = await r.next(1000);
  t.ok(f !== 'timeout' && f?.body.equals(body));
  t.equal(r.copiedBytes, 0);
});

t.test('a small frame is one write (one yamux frame, Noise message, TCP segment); a large body is not copied', async (t) => {
  const writes: Uint8Array[] = [];
  const sink = { write: async (c: Uint8Array) => { writes.push(c); } };
  const small = Buffer.alloc(8000, 3);
  await writeFrame(sink, { t: 'block' }, small);
  t.equal(writes.length, 1, 'header and body of an 8 KB block in one write');
  const large = Buffer.alloc(COALESCE_BYTES + 1, 4);
  await writeFrame(sink, { t: 'block' }, large);
  t.equal(writes.length, 3, 'a large body after its header');
  t.equal(writes[2]!.buffer, large.buffer, 'the large body as given, not copied');
  const r = new FrameReader((async function* () { yield* writes; })(), limits, any);
  const [a, b] = await readAll(r);
  t.ok(a!.body.equals(small) && b!.body.equals(large), 'both read back');
});

t.test('bounds are checked from the prefix, before the bytes are read', async (t) => {
  const prefix = Buffer.alloc(FRAME_PREFIX_BYTES);
  prefix.writeUInt32BE(10, 0);
  prefix.writeUInt32BE(limits.maxBody + 1, 4);
  const { stream, seen } = chunked(Buffer.concat([prefix, Buffer.alloc(64 << 10)]), FRAME_PREFIX_BYTES);
  await t.rejects(new FrameReader(stream, limits, any).next(1000), { code: 'COLONY_PROTOCOL' });
  t.equal(seen.read, 1, 'only the prefix was read');
  t.throws(() => encodeFrame({ t: 'x'.repeat(100) }, undefined, 50), { code: 'COLONY_TOO_LARGE' });
});

t.test('an end inside a frame, a non-JSON header and a refused message are protocol errors', async (t) => {
  const [whole] = encodeFrame({ t: 'done' });
  for (const cut of [3, FRAME_PREFIX_BYTES + 2]) {
    await t.rejects(new FrameReader(chunked(whole!.subarray(0, cut), 1).stream, limits, any).next(1000), { code: 'COLONY_PROTOCOL' });
  }
  const notJson = Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 0]), Buffer.from('{x}')]);
  await t.rejects(new FrameReader(chunked(notJson, 4).stream, limits, any).next(1000), { code: 'COLONY_PROTOCOL' });
  const refuse = () => { throw new Error('refused'); };
  await t.rejects(new FrameReader(chunked(whole!, 4).stream, limits, refuse).next(1000), { message: 'refused' });
});

t.test('a read that times out is not lost: the next call gets the frame', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  async function* slow(): AsyncGenerator<Uint8Array> { await gate; yield* encodeFrame({ t: 'done' }); }
  const r = new FrameReader(slow(), limits, any);
  t.equal(await r.next(10), 'timeout');
  release();
  const f = await r.next(1000);
  t.same(f !== 'timeout' && f?.msg, { t: 'done' });
  t.equal(await r.next(1000), undefined, 'then the end');
});

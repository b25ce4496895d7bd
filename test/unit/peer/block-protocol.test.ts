// /colony/blocks/1 frames as data: round trips split at every byte, the size bounds checked
// before the bytes are read, malformed headers refused, a timed-out read kept for later.
import t from 'tap';
import { checkMessage, encodeFrame, FrameReader, MAX_HEADER_BYTES, type Message } from '../../../appliance/peer/block-protocol.js';

async function* chunks(parts: Buffer[]): AsyncGenerator<Uint8Array> { for (const p of parts) yield p; }

t.test('frames survive any split of the byte stream', async (t) => {
  const body = Buffer.alloc(300, 7);
  const msgs: Array<[Message, Buffer?]> = [
    [{ t: 'hello', v: 1, epoch: 'ab'.repeat(16), head: 42 }],
    [{ t: 'block', score: 'cd'.repeat(32), type: 1 }, body],
    [{ t: 'done' }],
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
    { t: 'entries', from: 0, limit: 100_000 }, { t: 'fetch', scores: ['00'] }, { t: 'page', entries: [[0, 1, 'ab', 1]], next: 1, head: 1 }]) {
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

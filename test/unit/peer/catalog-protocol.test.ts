// The /colony/catalog/1 wire format without sockets: frames.ts's layout with an empty body,
// frames split across chunks, strict message shapes, a frame announced over the bound (or
// with a body) refused before its bytes are read, an
// end inside a frame, a silent peer timed out (the stream is aborted), and isAhead.
import t from 'tap';
import { encodeFrame, FrameReader, isAhead, MAX_FRAME, MAX_PAGE, parseMessage } from '../../../appliance/peer/catalog-protocol.js';
import type { PeerStream } from '../../../appliance/peer/index.js';

/** A stream that yields `chunks` (then ends, or hangs when `hang`), counting chunks read and aborts. */
function fakeStream(chunks: Uint8Array[], hang = false) {
  const seen = { read: 0, aborted: 0 };
  let wake: (() => void) | undefined;
  const stream: PeerStream = {
    remotePeer: 'peer', protocol: '/colony/catalog/1',
    write: async () => {}, end: async () => {},
    abort: () => { seen.aborted++; wake?.(); },
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) { seen.read++; yield c; }
      if (hang) await new Promise<void>((r) => { wake = r; });
    },
  };
  return { stream, seen };
}

t.test('frames split anywhere are read back, then the clean end', async (t) => {
  const bytes = Buffer.concat([encodeFrame({ t: 'pull', vector: { x: 3 }, limit: 10 }), encodeFrame({ t: 'notice', vector: {} })]);
  const chunks = [...bytes].map((b) => Uint8Array.of(b)); // one byte at a time
  const reader = new FrameReader(fakeStream(chunks).stream, 10_000);
  t.same(await reader.next(), { t: 'pull', vector: { x: 3 }, limit: 10 });
  t.same(await reader.next(), { t: 'notice', vector: {} });
  t.equal(await reader.next(), undefined);
});

t.test('the block protocol\'s frame layout, with an empty body', async (t) => {
  const frame = encodeFrame({ t: 'notice', vector: { a: 1 } });
  const json = Buffer.from('{"t":"notice","vector":{"a":1}}');
  t.equal(frame.readUInt32BE(0), json.length, 'header length');
  t.equal(frame.readUInt32BE(4), 0, 'body length');
  t.ok(frame.subarray(8).equals(json));
});

t.test('a frame announced over the bound, or with a body, is refused before its bytes are read', async (t) => {
  for (const [header, body] of [[MAX_FRAME + 1, 0], [2, 1]]) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(header!, 0);
    head.writeUInt32BE(body!, 4);
    const { stream, seen } = fakeStream([head, Buffer.alloc(1024), Buffer.alloc(1024)]);
    await t.rejects(new FrameReader(stream, 10_000).next(), { code: 'COLONY_PROTOCOL' });
    t.equal(seen.read, 1, 'only the prefix was read');
  }
});

t.test('an end inside a frame is a protocol error', async (t) => {
  const frame = encodeFrame({ t: 'notice', vector: {} });
  await t.rejects(new FrameReader(fakeStream([frame.subarray(0, frame.length - 1)]).stream, 10_000).next(), { code: 'COLONY_PROTOCOL' });
});

t.test('a silent peer times out and its stream is aborted', async (t) => {
  const { stream, seen } = fakeStream([], true);
  await t.rejects(new FrameReader(stream, 50).next(), { code: 'COLONY_TIMEOUT' });
  t.equal(seen.aborted, 1);
});

t.test('messages are checked strictly', async (t) => {
  const notJson = Buffer.concat([Buffer.from([0, 0, 0, 8, 0, 0, 0, 0]), Buffer.from('not json')]);
  await t.rejects(new FrameReader(fakeStream([notJson]).stream, 10_000).next(), { code: 'COLONY_PROTOCOL' });
  const bad = [
    '[]', '{"t":"hello"}',
    '{"t":"pull","vector":{},"limit":0}', `{"t":"pull","vector":{},"limit":${MAX_PAGE + 1}}`,
    '{"t":"pull","vector":{"x":-1},"limit":1}', '{"t":"pull","vector":{"x":1.5},"limit":1}', '{"t":"pull","vector":[],"limit":1}',
    '{"t":"page","events":{},"more":false}', '{"t":"page","events":[],"more":"no"}',
    `{"t":"page","events":${JSON.stringify(new Array(MAX_PAGE + 1).fill(0))},"more":false}`,
  ];
  for (const text of bad) t.throws(() => parseMessage(JSON.parse(text)), { code: 'COLONY_PROTOCOL' }, text.slice(0, 60));
  t.same(parseMessage({ t: 'page', events: [1], more: true }), { t: 'page', events: [1], more: true });
  t.throws(() => encodeFrame({ t: 'page', events: ['x'.repeat(MAX_FRAME)], more: false }), { code: 'COLONY_TOO_LARGE' });
});

t.test('isAhead: the other side holds something we lack', async (t) => {
  t.ok(isAhead({ a: 2 }, { a: 1 }));
  t.ok(isAhead({ b: 1 }, { a: 5 }));
  t.notOk(isAhead({ a: 1 }, { a: 1, b: 2 }));
  t.notOk(isAhead({}, {}));
});

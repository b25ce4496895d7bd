// The local API's frames as data: round trips, frames split at every byte, and the
// refusals (oversized, unknown type, not JSON) that end a connection.
import t from 'tap';
import { encodeFrame, FRAME, FrameReader, jsonFrame, MAX_PAYLOAD, parseJson } from '../../../appliance/console/local-protocol.js';
import { isColonyError } from '../../../appliance/errors.js';

t.test('frames come back whole however the bytes are cut', async (t) => {
  const wire = Buffer.concat([
    jsonFrame(FRAME.HELLO, { protocol: 'colony-local', version: 1, user: 'alice' }),
    encodeFrame(FRAME.STDIN, Buffer.from([0, 1, 2, 255])),
    encodeFrame(FRAME.STDIN_END),
  ]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const r = new FrameReader();
    const frames = [...r.push(wire.subarray(0, cut)), ...r.push(wire.subarray(cut))];
    t.same(frames.map((f) => f.type), [FRAME.HELLO, FRAME.STDIN, FRAME.STDIN_END], `cut at ${cut}`);
    t.same(parseJson(frames[0]!), { protocol: 'colony-local', version: 1, user: 'alice' });
    t.same([...frames[1]!.payload], [0, 1, 2, 255]);
    t.equal(frames[2]!.payload.length, 0);
    t.equal(r.pending, 0);
  }
});

t.test('refusals', async (t) => {
  const code = (fn: () => unknown) => { try { fn(); return 'none'; } catch (e) { return isColonyError(e) ? e.code : 'other'; } };
  t.equal(code(() => encodeFrame(FRAME.STDOUT, Buffer.alloc(MAX_PAYLOAD + 1))), 'COLONY_TOO_LARGE');
  const huge = Buffer.alloc(5);
  huge.writeUInt32BE(MAX_PAYLOAD + 2, 0);
  t.equal(code(() => new FrameReader().push(huge)), 'COLONY_PROTOCOL', 'a length over the bound, before its bytes arrive');
  t.equal(code(() => new FrameReader().push(Buffer.from([0, 0, 0, 0]))), 'COLONY_PROTOCOL', 'an empty frame has no type');
  t.equal(code(() => new FrameReader().push(Buffer.from([0, 0, 0, 1, 99]))), 'COLONY_PROTOCOL', 'an unknown type');
  t.equal(code(() => new FrameReader().push(Buffer.from('colony-console 1 alice\n'))), 'COLONY_PROTOCOL', "the old text protocol's header");
  t.equal(code(() => parseJson({ type: FRAME.LINE, payload: Buffer.from('{nope') })), 'COLONY_PROTOCOL');
});

// The block codec: what is compressed, what is stored as is, and what a damaged stream gives.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { CODEC_DEFLATE, CODEC_NONE, codecFlags, decodeBlock, encodeBlock, logicalSize } from '../../../appliance/store/codec.js';
import { decodeLocation, decodeRecordHeader, encodeLocation, encodeRecordHeader } from '../../../appliance/store/record.js';

const MAX = 1 << 20;
const text = (n: number) => Buffer.from('the quick brown fox jumps over the lazy dog, '.repeat(Math.ceil(n / 45))).subarray(0, n);

t.test('compressible blocks shrink and round-trip; incompressible, tiny and empty ones are stored as they are', async (t) => {
  for (const n of [600, 64 << 10, MAX]) {
    const data = text(n);
    const { flags, stored } = encodeBlock(CODEC_DEFLATE, data);
    t.equal(flags, codecFlags(CODEC_DEFLATE), `${n} bytes compressed`);
    t.ok(stored.length < n / 4, `${n} → ${stored.length}`);
    t.equal(logicalSize(flags, stored), n);
    t.same(decodeBlock(flags, Buffer.from(stored), MAX), data);
  }
  for (const data of [randomBytes(64 << 10), randomBytes(MAX), randomBytes(1000), Buffer.alloc(0), text(100)]) {
    const { flags, stored } = encodeBlock(CODEC_DEFLATE, data);
    t.equal(flags, 0, `${data.length} bytes stored raw`);
    t.equal(stored, data, 'the very buffer, no copy');
  }
  t.equal(encodeBlock(CODEC_NONE, text(64 << 10)).flags, 0, 'codec none never compresses');
});

t.test('a block that shrinks by less than an eighth is stored raw', async (t) => {
  // Half random, half zeros: deflate saves about half. A quarter of zeros: under an eighth after overhead? Measure both sides.
  const half = Buffer.concat([randomBytes(32 << 10), Buffer.alloc(32 << 10)]);
  t.equal(encodeBlock(CODEC_DEFLATE, half).flags, codecFlags(CODEC_DEFLATE));
  const little = Buffer.concat([randomBytes(60 << 10), Buffer.alloc(4 << 10)]);
  t.equal(encodeBlock(CODEC_DEFLATE, little).flags, 0, 'saves 1/16: not worth a decode on every read');
});

t.test('damaged streams are reasons, never exceptions', async (t) => {
  const { flags, stored } = encodeBlock(CODEC_DEFLATE, text(64 << 10));
  const bad = Buffer.from(stored);
  bad.fill(0xff, 4, 40);
  t.type(decodeBlock(flags, bad, MAX), 'string');
  const short = Buffer.from(stored.subarray(0, stored.length >> 1));
  t.type(decodeBlock(flags, short, MAX), 'string', 'truncated stream');
  const lies = Buffer.from(stored); lies.writeUInt32LE(MAX + 1, 0);
  t.match(decodeBlock(flags, lies, MAX), /logical size/);
  const wrong = Buffer.from(stored); wrong.writeUInt32LE(100, 0);
  t.type(decodeBlock(flags, wrong, MAX), 'string', 'a prefix that does not match the stream');
  t.match(decodeBlock(codecFlags(7), Buffer.from(stored), MAX), /cannot read/);
});

t.test('record headers carry the codec in the flags byte; v1 headers decode as before', async (t) => {
  const score = Buffer.alloc(32, 1);
  const h = encodeRecordHeader(3, 100, score, codecFlags(CODEC_DEFLATE));
  t.equal(h[5], 0x10);
  t.same(decodeRecordHeader(h, 0, MAX), { type: 3, length: 100, score, flags: 0x10 });
  t.same(decodeRecordHeader(encodeRecordHeader(3, 100, score), 0, MAX), { type: 3, length: 100, score });
  const low = Buffer.from(h); low[5] = 0x11;
  t.match(decodeRecordHeader(low, 0, MAX), /reserved/);
  t.match(decodeRecordHeader(encodeRecordHeader(3, 2, score, 0x10), 0, MAX), /compressed record of 2 bytes/);
});

t.test('index locations keep the logical size only when it differs (old 13-byte entries still decode)', async (t) => {
  const plain = { pos: 12345, length: 500, type: 2 };
  t.equal(encodeLocation(plain).length, 13);
  t.same(decodeLocation(encodeLocation(plain)), plain);
  const packed = { pos: 2 ** 40 + 7, length: 500, type: 2, size: 65536 };
  t.equal(encodeLocation(packed).length, 17);
  t.same(decodeLocation(encodeLocation(packed)), packed);
});

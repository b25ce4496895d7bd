import t from 'tap';
import {
  ARENA_HEADER_BYTES, ARENA_STRIDE, arenaOf, decodeArenaHeader, decodeLocation, decodeRecordHeader, encodeArenaHeader,
  encodeLocation, encodeRecordHeader, logPosition, offsetOf, RECORD_HEADER_BYTES, RECORD_MAGIC,
} from '../../../appliance/store/record.js';

t.test('a record header is the documented 44 bytes, little-endian', async (t) => {
  const score = Buffer.alloc(32, 0xab);
  const h = encodeRecordHeader(7, 65536, score);
  t.equal(h.length, RECORD_HEADER_BYTES);
  // Golden bytes: magic 0xc010b10c LE, type 7, flags 0, reserved 0, length 65536 LE, then the score.
  t.equal(h.subarray(0, 12).toString('hex'), '0cb110c0' + '07' + '00' + '0000' + '00000100');
  t.same(h.subarray(12), score);
  t.same(decodeRecordHeader(h, 0, 1 << 20), { type: 7, length: 65536, score });
});

t.test('implausible headers are reasons, not exceptions', async (t) => {
  const h = encodeRecordHeader(1, 10, Buffer.alloc(32));
  t.match(decodeRecordHeader(h.subarray(0, 20), 0, 100), /partial/);
  const bad = Buffer.from(h); bad.writeUInt32LE((RECORD_MAGIC ^ 1) >>> 0, 0);
  t.match(decodeRecordHeader(bad, 0, 100), /magic/);
  t.match(decodeRecordHeader(h, 0, 5), /over the block size limit/);
  const flags = Buffer.from(h); flags[5] = 1;
  t.match(decodeRecordHeader(flags, 0, 100), /reserved/);
  t.throws(() => encodeRecordHeader(256, 1, Buffer.alloc(32)), { code: 'COLONY_INVALID' });
});

t.test('arena headers round-trip and reject foreign files', async (t) => {
  const h = encodeArenaHeader({ number: 42, created: 1234.5 });
  t.equal(h.length, ARENA_HEADER_BYTES);
  t.same(decodeArenaHeader(h, 'x'), { number: 42, created: 1234.5 });
  t.throws(() => decodeArenaHeader(Buffer.alloc(64), 'x'), { code: "COLONY_CORRUPT_DATA" });
  const future = Buffer.from(h); future.writeUInt32LE(99, 8);
  t.throws(() => decodeArenaHeader(future, 'x'), /arena format 99/);
});

t.test('log positions are monotonic across arenas and locations round-trip', async (t) => {
  t.ok(logPosition(1, 64) > logPosition(0, ARENA_STRIDE - 1));
  const pos = logPosition(300, 123456);
  t.equal(arenaOf(pos), 300);
  t.equal(offsetOf(pos), 123456);
  const loc = { pos, length: 1 << 20, type: 254 };
  t.same(decodeLocation(encodeLocation(loc)), loc);
  t.throws(() => decodeLocation(Buffer.alloc(5)), { code: 'COLONY_CORRUPT_DATA' });
});

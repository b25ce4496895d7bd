// A full disk is one episode in the log, not one error per attempt: the peer receiver (and
// anything else) retries while the disk is full, and each retry is a failed write. On a
// tiny real tmpfs: fill it, fail 20 more writes, count the lines; free room, write once
// (one line says writes work again); fill it again: a second episode warns again.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { isColonyError } from '../../../appliance/errors.js';
import type { Log } from '../../../appliance/log.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';

const opts = { arenaBytes: 1 << 20, maxBlockBytes: 64 << 10, writeBufferBytes: 256 << 10 };

function recordingLog() {
  const lines: Array<{ level: string; msg: string }> = [];
  const at = (level: string) => (_obj: object, msg?: string) => { lines.push({ level, msg: msg ?? '' }); };
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  const count = (level: string, re: RegExp) => lines.filter((l) => l.level === level && re.test(l.msg)).length;
  return { log, lines, count };
}

/** put + sync until one fails for lack of room (bounded); returns how many succeeded. */
async function fill(store: BlockStore): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    try {
      await store.put(1, randomBytes(60 << 10));
      await store.sync();
    } catch (err) {
      if (!isColonyError(err, 'COLONY_NO_SPACE')) throw err;
      return i;
    }
  }
  throw new Error('the disk did not fill within 1000 puts');
}

t.test('a full disk logs once per episode, not once per failed write', async (t) => {
  const base = await tmpDir(t);
  const mnt = join(base, 'small');
  await mkdir(mnt);
  // Needs root (CI runs as root).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
  t.teardown(() => execFileSync('umount', ['-l', mnt]));
  await writeFile(join(mnt, 'filler'), Buffer.alloc(1 << 20, 1));
  const rec = recordingLog();
  const store = await BlockStore.open(join(mnt, 'store'), { ...opts, log: rec.log });
  t.teardown(() => store.close().catch(() => {}));
  const failedWrite = /^a write failed/;

  t.ok(await fill(store) > 10, 'blocks were stored before the disk filled');
  // Retries while it stays full: each one is a failed write of the arena.
  let failures = 1;
  for (let i = 0; i < 20; i++) {
    const err = await store.put(1, randomBytes(60 << 10)).then(() => store.sync()).then(() => undefined, (e: unknown) => e);
    if (isColonyError(err, 'COLONY_NO_SPACE')) failures++;
  }
  t.equal(failures, 21, 'every retry failed for lack of room');
  t.equal(rec.count('error', failedWrite), 0, 'no error line for a full disk');
  t.equal(rec.count('warn', failedWrite), 1, 'one warning for the episode');
  t.equal(rec.count('debug', failedWrite), 20, 'the 20 repeats at debug');

  // Room again: the first write that succeeds ends the episode, in one line.
  await rm(join(mnt, 'filler'));
  // A put whose buffer flush failed leaves its loss for the next sync to report: take it.
  await store.sync().catch((err: unknown) => { if (!isColonyError(err, 'COLONY_NO_SPACE')) throw err; });
  await store.put(1, randomBytes(60 << 10));
  await store.sync();
  t.equal(rec.count('info', /succeeded again after the disk was full/), 1, 'one line says writes work again');

  // A second episode is a new warning.
  await fill(store);
  t.equal(rec.count('warn', failedWrite), 2, 'a new episode warns again');
  t.equal(rec.count('error', failedWrite), 0, 'still no error line');
});

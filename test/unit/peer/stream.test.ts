// stream.ts's reader against a fake libp2p stream that, like libp2p's, delivers every
// received chunk at once unless paused (its own iterator queues without bound): a sender
// pushing 8 MiB at a reader that does not read leaves at most READ_HIGH_WATER (+ one
// chunk) in the reader's queue, the rest held back by pause(); reading on resumes it, every
// byte arrives in order, and the end and a reset are passed on.
import t from 'tap';
import { READ_HIGH_WATER, wrapStream } from '../../../appliance/peer/stream.js';

const CHUNK = 64 << 10;

/** A fake Stream: `deliver` is the muxer receiving data; paused data waits in `held`. */
class FakeStream extends EventTarget {
  readStatus: 'readable' | 'paused' | 'closed' = 'readable';
  protocol = '/test/1';
  held: Uint8Array[] = [];
  /** Bytes handed to 'message' listeners, and the most unread by them at any moment. */
  dispatched = 0;
  pauses = 0;
  unbounded: Uint8Array[] = [];
  pause() { if (this.readStatus === 'readable') { this.readStatus = 'paused'; this.pauses++; } }
  resume() {
    if (this.readStatus !== 'paused') return;
    this.readStatus = 'readable';
    while (this.held.length > 0 && this.readStatus === 'readable') this.dispatch(this.held.shift()!);
  }
  deliver(chunk: Uint8Array) {
    this.unbounded.push(chunk); // what libp2p's own iterator would have queued
    if (this.readStatus === 'paused') this.held.push(chunk); else this.dispatch(chunk);
  }
  private dispatch(chunk: Uint8Array) {
    this.dispatched += chunk.byteLength;
    const e = new Event('message') as Event & { data: Uint8Array };
    e.data = chunk;
    this.dispatchEvent(e);
  }
  endRemote() { this.dispatchEvent(new Event('remoteCloseWrite')); }
  reset(err: Error) { this.readStatus = 'closed'; const e = new Event('close') as Event & { error: Error }; e.error = err; this.dispatchEvent(e); }
  // libp2p's iterator: everything delivered, queued without bound.
  async *[Symbol.asyncIterator]() { for (;;) { const c = this.unbounded.shift(); if (c) yield c; else await new Promise((r) => setTimeout(r, 1)); } }
}

const wrap = (f: FakeStream) => wrapStream(f as never, 'peer');

t.test('a reader that stops reading holds at most the high-water mark; the rest waits unsent', async (t) => {
  const f = new FakeStream();
  const it = wrap(f)[Symbol.asyncIterator]();
  const first = it.next(); // the reader is listening
  const total = 8 << 20;
  for (let i = 0; i < total / CHUNK; i++) f.deliver(Buffer.alloc(CHUNK, i & 0xff));
  await first;
  t.ok(f.pauses >= 1, 'the stream was paused');
  t.ok(f.dispatched <= READ_HIGH_WATER + CHUNK, `${f.dispatched} bytes taken from the stream while the reader did not read`);
  let got = CHUNK;
  let inOrder = true;
  let maxUnread = 0;
  // Each round reads one chunk; 8 MiB in 64 KiB chunks, so this ends.
  for (let i = 1; got < total; i++) {
    const r = await it.next();
    if (r.done) break;
    if (r.value[0] !== (i & 0xff)) inOrder = false;
    got += r.value.byteLength;
    maxUnread = Math.max(maxUnread, f.dispatched - got);
  }
  t.ok(maxUnread <= READ_HIGH_WATER + CHUNK, `at most ${maxUnread} bytes unread at any moment`);
  t.equal(got, total, 'every byte arrived');
  t.ok(inOrder, 'in order');
  f.endRemote();
  t.equal((await it.next()).done, true, 'the remote end ends the iterator');
});

t.test('queued chunks are read before the end; a reset throws its error', async (t) => {
  const f = new FakeStream();
  const it = wrap(f)[Symbol.asyncIterator]();
  const first = it.next();
  f.deliver(Buffer.from('ab'));
  f.deliver(Buffer.from('cd'));
  f.endRemote();
  t.equal(Buffer.from((await first).value!).toString(), 'ab');
  t.equal(Buffer.from((await it.next()).value!).toString(), 'cd');
  t.equal((await it.next()).done, true);

  const g = new FakeStream();
  const it2 = wrap(g)[Symbol.asyncIterator]();
  const pending = it2.next();
  g.reset(new Error('reset by peer'));
  await t.rejects(pending, /reset by peer/);
});

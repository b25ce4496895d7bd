import t from 'tap';
import type { NinepClient } from '../../../appliance/ninep/client.js';
import type { Message } from '../../../appliance/ninep/messages.js';
import { GatedFs, serve, until } from './harness.js';

/** Records the order in which replies arrive, by tag. */
function arrivals(_c: NinepClient): { order: Array<{ tag: number; type: string }>; track(p: { tag: number; reply: Promise<Message> }): Promise<Message> } {
  const order: Array<{ tag: number; type: string }> = [];
  return {
    order,
    track: (p) => p.reply.then((m) => { order.push({ tag: m.tag, type: m.type }); return m; }),
  };
}

async function slowFile(t: Parameters<typeof serve>[0]) {
  const fs = new GatedFs();
  fs.makeSlow('slow', 'eventually');
  fs.writeFile('fast', 'now');
  const s = await serve(t, { fs });
  const c = await s.client();
  const root = await c.attach('mem');
  const slow = await c.walk(root.fid, ['slow']);
  await c.open(slow.fid);
  return { fs, s, c, root, slow };
}

t.test('flushing a slow request: its reply is suppressed and Rflush comes after', async (t) => {
  const { fs, c, slow } = await slowFile(t);
  const a = arrivals(c);
  const read = c.request({ type: 'Tread', fid: slow.fid, offset: 0, count: 100 });
  let readOutcome = 'pending';
  read.reply.then((m) => { readOutcome = m.type; }, (err: Error) => { readOutcome = err.message; });
  await until(() => fs.waiting.length === 1, 'the read to reach the backend');
  const flush = a.track(c.request({ type: 'Tflush', oldtag: read.tag }));
  t.equal((await flush).type, 'Rflush');
  t.equal(fs.aborted, 1, 'the backend saw the abort signal');
  await Promise.resolve();
  t.match(readOutcome, /was flushed/, 'the client learns from Rflush that the read will never be answered');
  // The tag is free again once Rflush is in: reuse it, and the old reply must never turn up.
  const again = await c.request({ type: 'Tclunk', fid: 999 }, read.tag).reply;
  t.equal(again.type, 'Rlerror', 'the reused tag answers the new request');
  await new Promise((r) => setTimeout(r, 20));
  t.same(a.order, [{ tag: a.order[0]!.tag, type: 'Rflush' }]);
});

t.test('flushing a request that already finished: Rflush at once, and the reply stands', async (t) => {
  const { c, root } = await slowFile(t);
  const f = await c.walk(root.fid, ['fast']);
  await c.open(f.fid);
  const read = c.request({ type: 'Tread', fid: f.fid, offset: 0, count: 100 });
  const r = await read.reply;
  t.equal(r.type, 'Rread');
  t.equal((await c.request({ type: 'Tflush', oldtag: read.tag }).reply).type, 'Rflush');
  t.equal((await c.request({ type: 'Tflush', oldtag: 4321 }).reply).type, 'Rflush', 'an unknown tag is flushed at once');
});

t.test('a request that succeeds while being flushed is answered before Rflush', async (t) => {
  const { fs, c, slow } = await slowFile(t);
  const a = arrivals(c);
  const req = c.request({ type: 'Tread', fid: slow.fid, offset: 0, count: 100 });
  const read = a.track(req);
  await until(() => fs.waiting.length === 1, 'the read to reach the backend');
  fs.releaseAll(); // it finishes at about the moment the flush arrives
  const flush = a.track(c.request({ type: 'Tflush', oldtag: req.tag }));
  await Promise.all([read, flush]);
  t.same(a.order.map((o) => o.type), ['Rread', 'Rflush']);
});

t.test('flush of a flush: the original reply, then the inner Rflush, then the outer', async (t) => {
  const { fs, c, slow } = await slowFile(t);
  fs.ignoreAbort = true; // the read cannot be cut short, so both flushes must wait for it
  const a = arrivals(c);
  const req = c.request({ type: 'Tread', fid: slow.fid, offset: 0, count: 100 });
  const read = a.track(req);
  await until(() => fs.waiting.length === 1, 'the read to reach the backend');
  const f1 = c.request({ type: 'Tflush', oldtag: req.tag });
  const f2 = c.request({ type: 'Tflush', oldtag: f1.tag });
  const p1 = a.track(f1), p2 = a.track(f2);
  await new Promise((r) => setTimeout(r, 30));
  t.same(a.order, [], 'nothing is answered while the read runs');
  fs.releaseAll();
  await Promise.all([read, p1, p2]);
  t.same(a.order.map((o) => o.type), ['Rread', 'Rflush', 'Rflush'], 'a read that succeeded is answered, not lost');
  t.same(a.order.map((o) => o.tag), [req.tag, f1.tag, f2.tag], 'then the inner flush, then the outer');
});

t.test('many concurrent tags are answered in completion order, not request order', async (t) => {
  const { fs, c, root, slow } = await slowFile(t);
  const a = arrivals(c);
  const f = await c.walk(root.fid, ['fast']);
  await c.open(f.fid);
  const first = a.track(c.request({ type: 'Tread', fid: slow.fid, offset: 0, count: 100 }));
  await until(() => fs.waiting.length === 1, 'the slow read to start');
  const fast = Array.from({ length: 40 }, (_, i) => a.track(c.request({ type: 'Tread', fid: f.fid, offset: 0, count: 1 + i })));
  const replies = await Promise.all(fast);
  t.ok(replies.every((r) => r.type === 'Rread'));
  t.equal(a.order.length, 40, 'all fast reads answered while the slow one waits');
  fs.releaseAll();
  t.equal(((await first) as { data: Buffer }).data.toString(), 'eventually');
  t.equal(a.order.at(-1)!.tag, (await first).tag, 'the slow read is answered last');
});

t.test('backpressure: beyond maxOutstanding the server stops reading, and catches up later', async (t) => {
  const fs = new GatedFs();
  fs.makeSlow('slow', 'z');
  const s = await serve(t, { fs, maxOutstanding: 4 });
  const c = await s.client();
  const root = await c.attach('mem');
  const fids = await Promise.all(Array.from({ length: 10 }, async () => {
    const w = await c.walk(root.fid, ['slow']);
    await c.open(w.fid);
    return w.fid;
  }));
  const reads = fids.map((fid) => c.request({ type: 'Tread', fid, offset: 0, count: 10 }).reply);
  await until(() => fs.waiting.length === 4, 'four reads to start');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(fs.waiting.length, 4, 'no more than four run at once');
  t.equal(s.server.stats().outstanding, 4);
  let answered = 0;
  for (const r of reads) void r.then(() => { answered++; }, () => { answered++; });
  // Keep opening the gate until the server has worked through the queue it stopped reading.
  for (let round = 0; round < 2000 && answered < reads.length; round++) {
    fs.releaseAll();
    await new Promise((r) => setTimeout(r, 5));
  }
  const all = await Promise.all(reads);
  t.equal(all.filter((m) => m.type === 'Rread').length, 10, 'every read was answered in the end');
});

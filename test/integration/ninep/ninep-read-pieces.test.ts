// A backend's read may answer a list of buffers: the server sends them after one Rread head,
// unjoined, trimmed to the count asked, and the client sees exactly the bytes.
import t from 'tap';
import type { Backend, Caller, Handle } from '../../../appliance/ninep/backend.js';
import { L_O_RDONLY } from '../../../appliance/ninep/constants.js';
import { MemFs } from '../../../appliance/ninep/memfs.js';
import { memRouter, serve } from './harness.js';

/** A MemFs whose reads come in pieces of `cut` bytes, with on purpose `extra` bytes more than asked. */
function piecesFs() {
  const mem = new MemFs();
  const opts = { cut: 1000, extra: 0 };
  const backend = Object.create(mem) as Backend & { root: MemFs["root"] };
  backend.read = async (c: Caller, h: Handle, offset: number, count: number): Promise<Buffer | Buffer[]> => {
    const whole = await mem.read(c, h, offset, count + opts.extra);
    const out: Buffer[] = [Buffer.alloc(0)];
    for (let at = 0; at < whole.length; at += opts.cut) out.push(whole.subarray(at, at + opts.cut));
    return out;
  };
  return { mem, backend, opts };
}

t.test('pieces reach the client as one Rread with exactly the bytes, trimmed to the count', async (t) => {
  const { mem, backend, opts } = piecesFs();
  const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 13) & 0xff));
  mem.writeFile('f', data);
  const srv = await serve(t, { fs: mem, router: memRouter(backend) });
  const c = await srv.client({ msize: 65536 });
  const { fid: root } = await c.attach('mem', 'u', 0);
  const f = await c.walkPath(root, 'f');
  await c.open(f, L_O_RDONLY);
  for (const [cut, extra] of [[1000, 0], [30000, 0], [65536, 0], [7, 3], [40000, 5000], [1, 100]] as const) {
    opts.cut = cut; opts.extra = extra;
    for (const [off, n] of [[0, 65512], [123, 65512], [199_990, 100], [0, 10], [300_000, 10]] as const) {
      const got = await c.read(f, off, n);
      t.same(got, data.subarray(off, off + n), `cut ${cut}, extra ${extra}: ${n} bytes at ${off}`);
    }
  }
  // The connection is sound after all that: concurrent reads, then an ordinary request.
  opts.cut = 4096;
  const many = await Promise.all(Array.from({ length: 16 }, (_, i) => c.read(f, i * 10_000, 20_000)));
  many.forEach((b, i) => t.same(b, data.subarray(i * 10_000, i * 10_000 + 20_000)));
  t.equal((await c.getattr(f)).size, 200_000);
});

// 9P2000.L file operations end to end, on MemFs, through the shared backend suite.
import t from 'tap';
import { GETATTR_ALL, L_O_CREAT, L_O_RDWR } from '../../../appliance/ninep/constants.js';
import { MemFs } from '../../../appliance/ninep/memfs.js';
import { serve } from './harness.js';
import { posixBackendSuite } from './posix-suite.js';

posixBackendSuite(t, async () => {
  const fs = new MemFs();
  return { backend: fs, root: fs.root };
});

t.test('MemFs keeps holes sparse and refuses to grow past its budget', async (t) => {
  const s = await serve(t, { fs: new MemFs({ maxBytes: 1024 * 1024 }) });
  const c = await s.client();
  const root = await c.attach('mem');
  const f = await c.walk(root.fid, []);
  await c.lcreate(f.fid, 'sparse', L_O_RDWR | L_O_CREAT, 0o644);
  await c.write(f.fid, 100_000_000, Buffer.from('end'));
  const a = await c.getattr(f.fid, GETATTR_ALL);
  t.equal(a.size, 100_000_003);
  t.ok(a.blocks * 512 <= 128 * 1024, 'a 100 MB file with one written byte range takes one or two chunks');
  await t.rejects(c.write(f.fid, 0, Buffer.alloc(2 * 1024 * 1024)), { code: 'COLONY_NO_SPACE' });
});

// The small-file worker: whole files by batch; a file that grew past its lstat size, or that
// cannot be opened, comes back null so the caller reads it (and reports errors) itself.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { SmallReader } from '../../../appliance/snapshot/small-reader.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('batches bound files and bytes', async (t) => {
  t.same(SmallReader.batches([]), []);
  t.same(SmallReader.batches([10, 20, 30]), [[0, 3]]);
  const big = SmallReader.batches(Array.from({ length: 40 }, () => 256 * 1024));
  t.same(big, [[0, 16], [16, 32], [32, 40]], '4 MiB a batch');
  t.same(SmallReader.batches(Array.from({ length: 300 }, () => 1)).map(([a, b]) => b - a), [128, 128, 44]);
});

t.test('reads whole files; a grown or missing file is left to the caller', async (t) => {
  const dir = await tmpDir(t);
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  await writeFile(a, 'hello');
  await writeFile(b, Buffer.alloc(3000, 7));
  const r = new SmallReader();
  t.teardown(() => r.close());
  const got = await r.read([Buffer.from(a), Buffer.from(b), Buffer.from(join(dir, 'none'))], [5, 3000, 10]);
  t.equal(got[0]?.toString(), 'hello');
  t.same(got[1], Buffer.alloc(3000, 7));
  t.equal(got[2], null, 'missing');
  t.equal((await r.read([Buffer.from(a)], [4]))[0], null, 'larger than its lstat size: grew');
  t.equal((await r.read([Buffer.from(a)], [9]))[0]?.toString(), 'hello', 'shrank: what is there');
});

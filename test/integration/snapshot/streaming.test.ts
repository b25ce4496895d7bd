// Streaming: a 4 GiB file is never held in memory. A child process imports a generated
// sparse 4 GiB file (with a few real blocks written into it) and reports its peak RSS.
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { readLeaf } from '../../../appliance/snapshot/index.js';
import { readRoot, walk } from '../../../appliance/snapshot/walk.js';
import { BlockStore, parseScore } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { run } from './fixture.js';

const child = fileURLToPath(new URL('./import-child.ts', import.meta.url));
import { fileURLToPath } from 'node:url';
import { childEnv, tsLoader } from '../../helpers/cli.js';

const GiB = 2 ** 30;
const RSS_BOUND = 300 * 2 ** 20;

t.test('a 4 GiB sparse file imports with bounded memory and stays sparse', { timeout: 300_000 }, async (t) => {
  const src = await tmpDir(t);
  const storeDir = await tmpDir(t);
  const file = join(src, 'four-gib');
  await run('truncate', ['-s', String(4 * GiB), file]);
  const fh = await open(file, 'r+');
  const marks = [0, 65536 * 1000 + 17, 3 * GiB, 4 * GiB - 10];
  for (const at of marks) await fh.write(Buffer.from('colony'.repeat(1000)).subarray(0, Math.min(6000, 4 * GiB - at)), 0, Math.min(6000, 4 * GiB - at), at);
  await fh.close();
  const started = Date.now();
  const { stdout } = await promisify(execFile)(process.execPath, [...tsLoader, child, storeDir, src], { env: childEnv({ COLONY_TEST_XATTRS: '0' }), maxBuffer: 1 << 20 });
  const out = JSON.parse(stdout) as { root: string; peakRssBytes: number; stats: { bytes: number; blocksWritten: number }; error?: unknown };
  t.notOk(out.error);
  t.comment(`imported 4 GiB in ${((Date.now() - started) / 1000).toFixed(1)} s, peak RSS ${(out.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  t.ok(out.peakRssBytes > 0 && out.peakRssBytes < RSS_BOUND, `peak RSS ${out.peakRssBytes} is under ${RSS_BOUND}`);
  t.equal(out.stats.bytes, 4 * GiB);
  // 5 data leaves (one mark spans two), 2 pointer blocks (depth 2: root + the pointer blocks with marks... counted below), a dir, a root.
  t.ok(out.stats.blocksWritten < 20, `only the written blocks are stored (${out.stats.blocksWritten})`);

  const store = await BlockStore.open(storeDir);
  t.teardown(() => store.close());
  const root = parseScore(out.root);
  const r = await readRoot(store, root);
  let entry;
  for await (const w of walk(store, r)) if (w.path.toString() === 'four-gib') entry = w.entry;
  t.equal(entry!.size, 4 * GiB);
  const leaf = await readLeaf(store, entry!.score, entry!.size, r.blockSize, Math.floor((3 * GiB) / r.blockSize));
  t.equal(leaf!.subarray(0, 6).toString(), 'colony');
  t.equal(await readLeaf(store, entry!.score, entry!.size, r.blockSize, 5), null, 'a hole reads as the zero score');
});

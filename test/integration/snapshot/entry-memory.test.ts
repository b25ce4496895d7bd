// Import memory follows the widest directory, not the entry count (issue 12, finding 8):
// a child process imports 150,000 empty files in 300 directories and reports its peak
// RSS. Holding every entry, as imports did, took about 1.2 KB each (over 250 MiB here);
// writing each directory as it completes keeps the peak near the process's own size.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { walk } from '../../../appliance/snapshot/walk.js';
import { BlockStore, parseScore } from '../../../appliance/store/index.js';
import { childEnv, tsLoader } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

const child = fileURLToPath(new URL('./import-child.ts', import.meta.url));
const DIRS = 300;
const FILES = 500;
/**
 * The process from sources, with its import workers (one a core, up to four; about 7 MiB
 * each), peaks near 185 MiB on two cores; every entry held would add about 170 MiB more.
 */
const RSS_BOUND = 220 * 2 ** 20;

t.test('a directory import of 150,000 entries keeps its peak RSS near the process size', { timeout: 300_000 }, async (t) => {
  const src = await tmpDir(t);
  const storeDir = await tmpDir(t);
  for (let d = 0; d < DIRS; d++) {
    const dir = join(src, `d${d}`);
    mkdirSync(dir);
    for (let f = 0; f < FILES; f++) writeFileSync(join(dir, `f${f}`), '');
  }
  const { stdout } = await promisify(execFile)(process.execPath, [...tsLoader, child, storeDir, src], { env: childEnv({ COLONY_TEST_XATTRS: '0' }), maxBuffer: 1 << 20 });
  const out = JSON.parse(stdout) as { root: string; peakRssBytes: number; stats: { files: number; dirs: number }; error?: unknown };
  t.notOk(out.error);
  t.same([out.stats.files, out.stats.dirs], [DIRS * FILES, DIRS + 1]);
  t.comment(`peak RSS ${(out.peakRssBytes / 2 ** 20).toFixed(0)} MiB for ${DIRS * FILES} entries`);
  t.ok(out.peakRssBytes > 0 && out.peakRssBytes < RSS_BOUND, `peak RSS ${out.peakRssBytes} is under ${RSS_BOUND}`);

  const store = await BlockStore.open(storeDir);
  t.teardown(() => store.close());
  let n = 0;
  for await (const _ of walk(store, parseScore(out.root))) n++;
  t.equal(n, 1 + DIRS + DIRS * FILES, 'every entry is in the snapshot');
});

// Child process for gc-crash.test.ts: opens the store, reads the live roots (one score per
// line) and collects garbage over and over, slowly (so kills land inside compactions),
// printing `ready` once open, `compacting` before the first compaction of a run and
// `collected` after each run. The parent SIGKILLs it at a random moment.
import { readFile } from 'node:fs/promises';
import { collectGarbage } from '../../../appliance/gc/index.js';
import { silentLog } from '../../../appliance/log.js';
import { BlockStore, parseScore } from '../../../appliance/store/index.js';

// compress 'off': patterned trees would compress and no arena would seal between kills.
export const GC_CRASH_STORE = { arenaBytes: 1 << 20, maxBlockBytes: 128 << 10, cacheBytes: 0, writeBufferBytes: 128 << 10, compress: 'off' as const };

const [dir, rootsFile] = process.argv.slice(2);
if (dir && rootsFile && process.argv[1]?.endsWith('gc-crash-child.ts')) {
  const store = await BlockStore.open(dir, GC_CRASH_STORE);
  const roots = (await readFile(rootsFile, 'utf8')).split('\n').filter(Boolean).map(parseScore);
  process.stdout.write('ready\n');
  for (;;) {
    let said = false;
    await collectGarbage({
      store, log: silentLog, roots: async () => ({ roots, scores: [] }), maxUnusedFraction: 0, minArenaGarbageFraction: 0,
      bytesPerSecond: 2 << 20,
      onProgress: (p) => { if (p.phase === 'compact' && !said) { said = true; process.stdout.write('compacting\n'); } },
    });
    process.stdout.write('collected\n');
    await new Promise((r) => setTimeout(r, 20));
  }
}

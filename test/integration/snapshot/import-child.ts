// Run as a child process by the streaming and permission tests: imports a directory into
// a store and prints one JSON line with the root, the stats and the peak RSS (VmHWM).
import { readFileSync } from 'node:fs';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore, formatScore } from '../../../appliance/store/index.js';

const [storeDir, src] = process.argv.slice(2);
const store = await BlockStore.open(storeDir!);
try {
  const { root, stats } = await importDirectory(store, src!, { created: 0n, xattrs: process.env.COLONY_TEST_XATTRS !== '0' });
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  process.stdout.write(JSON.stringify({ root: formatScore(root), stats, peakRssBytes: Number(hwm) * 1024 }) + '\n');
} catch (err) {
  const e = err as { code?: string; message?: string };
  process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message } }) + '\n');
} finally {
  await store.close();
}

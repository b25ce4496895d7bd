// Run as a child by the attack tests: imports the tar stream on standard input (plain or
// gzip, as `colony import -` does) into the store at argv[2], then prints one JSON line with
// the root, the stats and the peak RSS (VmHWM), or the error's code and message.
import { readFileSync } from 'node:fs';
import { importTar } from '../../../appliance/snapshot/index.js';
import { BlockStore, formatScore } from '../../../appliance/store/index.js';

const [storeDir] = process.argv.slice(2);
if (storeDir && process.argv[1]?.endsWith('import-stdin-child.ts')) {
  const store = await BlockStore.open(storeDir);
  const peak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
  try {
    const { root, stats } = await importTar(store, process.stdin, { created: 0n });
    await store.sync();
    process.stdout.write(JSON.stringify({ root: formatScore(root), stats, peakRssBytes: peak() }) + '\n');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message }, peakRssBytes: peak() }) + '\n');
  } finally {
    await store.close();
    process.stdin.destroy();
  }
}

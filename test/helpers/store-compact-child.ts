// Child process for compact-crash.test.ts: puts deterministic blocks (every third one live),
// syncs, prints `synced N` (blocks 0..N-1 are then durable), and compacts every sealed
// arena, printing `compacting` and `compacted` around each. The parent SIGKILLs it at a
// random moment and starts it again from the last acknowledged N.
import { BlockStore, loadHash } from '../../appliance/store/index.js';
import { mulberry32 } from './random.js';

// compress 'off': the blocks are one repeated byte, which would compress and never fill an arena.
export const COMPACT_CRASH_OPTIONS = { arenaBytes: 1 << 20, maxBlockBytes: 64 << 10, writeBufferBytes: 128 << 10, cacheBytes: 0, compress: 'off' as const };

/** Block i of run `seed`: unique, 1..20 KB. */
export function compactBlock(seed: number, i: number): Buffer {
  const size = 1000 + Math.floor(mulberry32(seed * 7919 + i)() * 19_000);
  const b = Buffer.alloc(size, (seed + i) & 0xff);
  b.writeUInt32LE(seed, 0);
  b.writeUInt32LE(i, 4);
  return b;
}

export const isLiveIndex = (i: number) => i % 3 === 0;

async function main(dir: string, seed: number, start: number): Promise<void> {
  const { hash } = await loadHash();
  const live = new Set<string>();
  for (let i = 0; i < start; i++) if (isLiveIndex(i)) live.add(hash(compactBlock(seed, i)).toString('hex'));
  const store = await BlockStore.open(dir, COMPACT_CRASH_OPTIONS);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say('ready');
  const rand = mulberry32(seed ^ start);
  for (let i = start; ; ) {
    const n = 10 + Math.floor(rand() * 40);
    for (const end = i + n; i < end; i++) {
      const s = await store.put(1, compactBlock(seed, i));
      if (isLiveIndex(i)) live.add(s.toString('hex'));
    }
    await store.sync();
    say(`synced ${i}`);
    const gc = store.beginCollection();
    for (const a of await store.arenaUsage()) {
      if (!a.sealed) continue;
      say('compacting');
      await store.compactArena(a.number, (s) => live.has(s.toString('hex')), { bytesPerSecond: Number.POSITIVE_INFINITY });
      say('compacted');
    }
    gc.end();
  }
}

if (process.argv[1]?.endsWith('store-compact-child.ts')) {
  const [dir, seed, start] = process.argv.slice(2);
  await main(dir!, Number(seed), Number(start));
}

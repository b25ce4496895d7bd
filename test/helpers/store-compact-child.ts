// Child process for compact-crash.test.ts: puts deterministic blocks, syncs, prints
// `synced N` (blocks 0..N-1 are then durable), and reclaims every sealed arena, printing
// `compacting` and `compacted` around each. Mode `compact`: every third block is live and
// each arena is compacted. Mode `punch`: blocks live in runs (runs of dead blocks big
// enough to punch) and each arena is freed in place, then compacted when holes were not
// enough, as the GC runner does. The parent SIGKILLs it at a random moment and starts it
// again from the last acknowledged N.
import { needsCopy } from '../../appliance/gc/plan.js';
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

export type CrashMode = 'compact' | 'punch';

/** Whether block i stays live: every third block, or (punch) every third run of 40 (~400 KB). */
export const isLiveIndex = (i: number, mode: CrashMode = 'compact') => (mode === 'punch' ? Math.floor(i / 40) % 3 === 0 : i % 3 === 0);

async function main(dir: string, seed: number, start: number, mode: CrashMode): Promise<void> {
  const { hash } = await loadHash();
  const live = new Set<string>();
  for (let i = 0; i < start; i++) if (isLiveIndex(i, mode)) live.add(hash(compactBlock(seed, i)).toString('hex'));
  const store = await BlockStore.open(dir, COMPACT_CRASH_OPTIONS);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say('ready');
  const rand = mulberry32(seed ^ start);
  for (let i = start; ; ) {
    const n = 10 + Math.floor(rand() * 40);
    for (const end = i + n; i < end; i++) {
      const s = await store.put(1, compactBlock(seed, i));
      if (isLiveIndex(i, mode)) live.add(s.toString('hex'));
    }
    await store.sync();
    say(`synced ${i}`);
    const gc = store.beginCollection();
    for (const a of await store.arenaUsage()) {
      if (!a.sealed) continue;
      const isLive = (s: Buffer) => live.has(s.toString('hex'));
      say('compacting');
      const punched = mode === 'punch' ? (await store.punchArenas([a.number], isLive))[0] : undefined;
      if (!punched || needsCopy(punched)) await store.compactArena(a.number, isLive, { bytesPerSecond: Number.POSITIVE_INFINITY });
      say('compacted');
    }
    gc.end();
  }
}

if (process.argv[1]?.endsWith('store-compact-child.ts')) {
  const [dir, seed, start, mode] = process.argv.slice(2);
  await main(dir!, Number(seed), Number(start), mode === 'punch' ? 'punch' : 'compact');
}

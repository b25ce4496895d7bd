// The long 9P fuzz: many seeds, millions of frames. Run: node --import tsx test/fuzz/ninep.ts [FRAMES] [SEEDS]
// (`npm run fuzz`). Exits 1 on the first broken invariant and prints the seed to replay.
import { fuzzServer } from './ninep-engine.js';

const frames = Number(process.argv[2] ?? 1_000_000);
const seeds = Number(process.argv[3] ?? 5);
const first = Number(process.env.COLONY_FUZZ_SEED ?? Date.now() % 1_000_000);
let failed = false;
for (let i = 0; i < seeds; i++) {
  const seed = first + i;
  const started = Date.now();
  try {
    const r = await fuzzServer({ frames, seed, progress: (n) => { if (n % 100_000 < 200) process.stderr.write(`\rseed ${seed}: ${n} frames`); } });
    process.stderr.write('\n');
    console.log(JSON.stringify({ seed, ...r, seconds: (Date.now() - started) / 1000 }));
  } catch (err) {
    console.error(`\nseed ${seed} FAILED: ${(err as Error).message}\nreplay: COLONY_FUZZ_SEED=${seed} node --import tsx test/fuzz/ninep.ts ${frames} 1`);
    failed = true;
    break;
  }
}
process.exit(failed ? 1 : 0);

// The bounded CI fuzz: 100k malformed frames, a fixed seed, a few seconds of CPU. The long
// run with fresh seeds is `node --import tsx test/fuzz/ninep.ts` (npm run fuzz).
import t from 'tap';
import { fuzzServer } from '../../fuzz/ninep-engine.js';

t.test('100k malformed frames: each answered or the connection closed; no leak, bounded heap', async (t) => {
  const frames = Number(process.env.COLONY_FUZZ_FRAMES ?? 100_000);
  const r = await fuzzServer({ frames, seed: 0x9b2000 });
  t.ok(r.frames >= frames, `${r.frames} frames sent`);
  t.ok(r.replies >= r.frames * 0.9, `${r.replies} replies`);
  t.ok(r.closedByServer > 0, 'framing errors closed connections');
  for (const kind of ['random', 'unknown-type', 'reply-as-request', 'valid-ish', 'mutated', 'truncated-body', 'trailing-bytes']) {
    t.ok((r.byKind[kind] ?? 0) > 0, `${kind} frames were tried`);
  }
  t.ok(r.heapGrowthBytes < 32 * 1024 * 1024, `heap grew by ${(r.heapGrowthBytes / 1e6).toFixed(1)} MB`);
});

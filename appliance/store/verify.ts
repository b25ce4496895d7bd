// `verify`: a full scan of the log. Every record is hashed against its score and every
// index entry is checked against the record it points at. It reports; it repairs nothing.
import type { Arena } from './arena.js';
import type { BlockIndex } from './index-db.js';
import { logPosition, SEAL_TYPE } from './record.js';
import { formatScore } from './score.js';
import { scanArena } from './scan.js';

export interface VerifyProgress { arena: number; arenas: number; bytesDone: number; bytesTotal: number }

export interface VerifyReport {
  ok: boolean;
  arenas: number;
  records: number;
  bytes: number;
  /** Records whose data does not hash to their score. */
  corrupt: Array<{ score: string; arena: number; offset: number }>;
  /** Places where an arena stops holding whole records before its end. */
  damaged: Array<{ arena: number; offset: number; reason: string }>;
  /** Whole records that the index does not know (a `reindex` adds them). */
  unindexed: number;
  /** Index entries that point at no intact record with their score. */
  dangling: Array<{ score: string; pos: number }>;
}

export async function verifyStore(ctx: {
  arenas: Arena[];
  index: BlockIndex;
  hash: (b: Uint8Array) => Buffer;
  maxBlockBytes: number;
  progress?: ((p: VerifyProgress) => void) | undefined;
}): Promise<VerifyReport> {
  const report: VerifyReport = { ok: true, arenas: ctx.arenas.length, records: 0, bytes: 0, corrupt: [], damaged: [], unindexed: 0, dangling: [] };
  const intact = new Set<number>();
  const bad = new Set<number>();
  const bytesTotal = ctx.arenas.reduce((n, a) => n + a.size, 0);
  let bytesDone = 0;
  const last = ctx.arenas.at(-1);
  const end = last ? logPosition(last.number, last.size) : 0;
  for (const [i, arena] of ctx.arenas.entries()) {
    const scan = scanArena(arena, ctx.hash, ctx.maxBlockBytes);
    let step = await scan.next();
    while (!step.done) {
      const rec = step.value;
      const pos = logPosition(arena.number, rec.offset);
      if (rec.type !== SEAL_TYPE) {
        report.records++;
        report.bytes += rec.intact ? rec.size : rec.length;
        if (!rec.intact) {
          bad.add(pos);
          report.corrupt.push({ score: formatScore(rec.score), arena: arena.number, offset: rec.offset });
        } else {
          intact.add(pos);
          if (!ctx.index.get(rec.score)) report.unindexed++;
        }
      }
      bytesDone += rec.length;
      if (report.records % 4096 === 0) ctx.progress?.({ arena: i, arenas: ctx.arenas.length, bytesDone, bytesTotal });
      step = await scan.next();
    }
    if (step.value.torn) report.damaged.push({ arena: arena.number, offset: step.value.end, reason: step.value.torn });
  }
  for await (const [score, loc] of ctx.index.entries()) {
    if (loc.pos >= end || intact.has(loc.pos) || bad.has(loc.pos)) continue;
    report.dangling.push({ score: formatScore(score), pos: loc.pos });
  }
  ctx.progress?.({ arena: ctx.arenas.length, arenas: ctx.arenas.length, bytesDone: bytesTotal, bytesTotal });
  report.ok = report.corrupt.length === 0 && report.damaged.length === 0 && report.unindexed === 0 && report.dangling.length === 0;
  return report;
}

// Plan: which sealed arenas a collection deletes and which it rewrites, from each arena's
// statistics and the live bytes in it. Pure, so the plan is printable (`gc --dry-run`) and
// tested as data, as restic's prune plans before it repacks. The rule is in README.md.
import { invalid } from '../errors.js';

/** One arena as the store reports it (store.arenaUsage()). */
export interface ArenaUsage {
  number: number; sealed: boolean; fileBytes: number; indexedBlocks: number; indexedBytes: number;
  /** What the file takes on disk (holes excluded). Records nothing indexes, freed or not yet punched, count as garbage through it. */
  diskBytes?: number;
}

/** An arena with what the mark found live in it. Bytes are record bytes (header included), as the store counts them. */
export interface ArenaLive extends ArenaUsage { liveBlocks: number; liveBytes: number }

export interface PlanOptions {
  /** Garbage left after the plan may be at most this fraction of the indexed bytes (restic's --max-unused 5%). */
  maxUnusedFraction?: number;
  /** An arena is rewritten only when at least this fraction of its indexed bytes is garbage (SD wear). */
  minArenaGarbageFraction?: number;
}

export const PLAN_DEFAULTS = { maxUnusedFraction: 0.05, minArenaGarbageFraction: 0.2 };

export interface PlannedRewrite { arena: number; liveBytes: number; garbageBytes: number }

export interface GcPlan {
  rewrite: PlannedRewrite[];
  /** Sealed arenas with no live block: deleted without copying anything. */
  remove: number[];
  /** What the store gives back net: the chosen arenas' files minus the live data copied out of them. */
  bytesToFree: number;
  /**
   * Live records the rewrites copy into the active arena, at most: the runner first frees an
   * arena's garbage in place (holes) and copies only where that is not enough.
   */
  bytesToWrite: number;
  liveBytes: number;
  garbageBytes: number;
  storeBytes: number;
}

/** An arena's header and seal, and the filesystem's rounding: never counted as garbage. */
export const ARENA_SLACK_BYTES = 16 << 10;

/** Dead indexed records, or everything on disk that is not live (unindexed records too), whichever is more. */
const garbageOf = (a: ArenaLive) =>
  Math.max(0, a.indexedBytes - a.liveBytes, a.diskBytes === undefined ? 0 : a.diskBytes - a.liveBytes - ARENA_SLACK_BYTES);

/**
 * After an arena's garbage was freed in place (holes), whether its live records must still
 * be copied out: what the holes could not free (runs too small to punch, a filesystem
 * without holes) is still at least the rewrite threshold of what it takes on disk.
 */
export function needsCopy(after: { diskBytes: number; indexedBytes: number }, minArenaGarbageFraction = PLAN_DEFAULTS.minArenaGarbageFraction): boolean {
  const left = after.diskBytes - after.indexedBytes - ARENA_SLACK_BYTES;
  return after.diskBytes > 0 && left > 0 && left / after.diskBytes >= minArenaGarbageFraction;
}

function fraction(name: string, v: number | undefined, fallback: number): number {
  const x = v ?? fallback;
  if (!Number.isFinite(x) || x < 0 || x > 1) throw invalid(`${name} must be a fraction from 0 to 1, not ${v}`);
  return x;
}

export function planCollection(arenas: readonly ArenaLive[], options: PlanOptions = {}): GcPlan {
  const maxUnused = fraction('maxUnusedFraction', options.maxUnusedFraction, PLAN_DEFAULTS.maxUnusedFraction);
  const minGarbage = fraction('minArenaGarbageFraction', options.minArenaGarbageFraction, PLAN_DEFAULTS.minArenaGarbageFraction);
  let storeBytes = 0;
  let liveBytes = 0;
  let garbageBytes = 0;
  for (const a of arenas) { storeBytes += a.diskBytes ?? a.fileBytes; liveBytes += a.liveBytes; garbageBytes += garbageOf(a); }

  // A sealed arena with nothing live costs no writes to reclaim: always deleted.
  const dead = arenas.filter((a) => a.sealed && a.liveBlocks === 0);
  const remove = dead.map((a) => a.number).sort((x, y) => x - y);
  let unused = garbageBytes - dead.reduce((n, a) => n + garbageOf(a), 0);

  // Rewrites: only arenas where garbage is a large enough share to be worth the copy, most
  // garbage first, and only until what is left unused is within the limit.
  const candidates = arenas
    .filter((a) => a.sealed && a.liveBlocks > 0 && garbageOf(a) > 0 && garbageOf(a) / Math.max(a.indexedBytes, a.diskBytes ?? 0) >= minGarbage)
    .sort((x, y) => garbageOf(y) - garbageOf(x) || x.number - y.number);
  const chosen: ArenaLive[] = [];
  for (const a of candidates) {
    if (unused <= maxUnused * (liveBytes + unused)) break;
    chosen.push(a);
    unused -= garbageOf(a);
  }

  const bytesToWrite = chosen.reduce((n, a) => n + a.liveBytes, 0);
  const filesFreed = [...dead, ...chosen].reduce((n, a) => n + (a.diskBytes ?? a.fileBytes), 0);
  return {
    rewrite: chosen.map((a) => ({ arena: a.number, liveBytes: a.liveBytes, garbageBytes: garbageOf(a) })),
    remove,
    bytesToFree: Math.max(0, filesFreed - bytesToWrite),
    bytesToWrite,
    liveBytes,
    garbageBytes,
    storeBytes,
  };
}

// POSIX byte-range locks for Tlock/Tgetlock, kept in the server's memory. The Linux client
// sends one Tlock per fcntl(F_SETLK[W]) and retries a BLOCKED answer itself, so the table
// never waits: it grants, refuses, or unlocks, and forgets everything a session held when
// the session goes.
import { LOCK_TYPE_RDLCK, LOCK_TYPE_UNLCK, LOCK_TYPE_WRLCK } from './constants.js';

export interface HeldLock {
  owner: string;
  type: typeof LOCK_TYPE_RDLCK | typeof LOCK_TYPE_WRLCK;
  start: number;
  /** Inclusive; Infinity for "to the end of the file". */
  end: number;
  procId: number;
  clientId: string;
}

const endOf = (start: number, length: number) => (length === 0 || length < 0 ? Infinity : start + length - 1);
const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start <= b.end && b.start <= a.end;

export class LockTable {
  private files = new Map<string, HeldLock[]>();

  get size(): number { let n = 0; for (const l of this.files.values()) n += l.length; return n; }

  /** The first lock another owner holds that conflicts with the one asked for. */
  conflict(file: string, owner: string, type: number, start: number, length: number): HeldLock | undefined {
    const want = { start, end: endOf(start, length) };
    return (this.files.get(file) ?? []).find((l) => l.owner !== owner && overlaps(l, want) && (type === LOCK_TYPE_WRLCK || l.type === LOCK_TYPE_WRLCK));
  }

  /** Grants, changes or drops a range. Returns false when another owner's lock conflicts. */
  set(file: string, lock: Omit<HeldLock, 'end' | 'type'> & { type: number; length: number }): boolean {
    if (lock.type !== LOCK_TYPE_UNLCK && this.conflict(file, lock.owner, lock.type, lock.start, lock.length)) return false;
    const range = { start: lock.start, end: endOf(lock.start, lock.length) };
    const kept: HeldLock[] = [];
    for (const l of this.files.get(file) ?? []) {
      if (l.owner !== lock.owner || !overlaps(l, range)) { kept.push(l); continue; }
      // Our own lock overlapping the new range: keep the parts outside it (POSIX replaces).
      if (l.start < range.start) kept.push({ ...l, end: range.start - 1 });
      if (l.end > range.end) kept.push({ ...l, start: range.end + 1 });
    }
    if (lock.type === LOCK_TYPE_RDLCK || lock.type === LOCK_TYPE_WRLCK) {
      kept.push({ owner: lock.owner, type: lock.type, start: range.start, end: range.end, procId: lock.procId, clientId: lock.clientId });
    }
    if (kept.length) this.files.set(file, kept); else this.files.delete(file);
    return true;
  }

  /** Drops every lock whose owner starts with `prefix` (a session going away). */
  releaseOwners(prefix: string): void {
    for (const [file, locks] of this.files) {
      const kept = locks.filter((l) => !l.owner.startsWith(prefix));
      if (kept.length) this.files.set(file, kept); else this.files.delete(file);
    }
  }
}

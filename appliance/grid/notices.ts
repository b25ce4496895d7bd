// What an owner is told when an admin booms their environment: who, when, why. Kept for a
// week (at most NOTICES_PER_USER per owner) in DATA/grid-notices.json, written durably, so
// the owner's `status` shows it even after a restart. Pure list logic plus one file.
import { readFile } from 'node:fs/promises';
import { fromSystemError, invalid } from '../errors.js';
import { writeFileDurably } from '../files.js';

export interface BoomNotice {
  env: string;
  owner: string;
  /** The admin who boomed it. */
  by: string;
  reason: string;
  /** ISO time of the boom. */
  at: string;
  /** Whether changes no named save held were lost. */
  unsaved: boolean;
}

export const NOTICE_MS = 7 * 24 * 3600 * 1000;
export const NOTICES_PER_USER = 20;
export const REASON_MAX = 200;

/** A reason is one line of printable text, 1–200 characters; COLONY_INVALID otherwise. */
export function checkReason(text: string): string {
  const reason = text.trim();
  if (!reason) throw invalid('the reason is empty');
  if (reason.length > REASON_MAX) throw invalid(`the reason is ${reason.length} characters; at most ${REASON_MAX}`);
  if (/[\x00-\x1f\x7f]/.test(reason)) throw invalid('the reason must be one line of printable text');
  return reason;
}

/** The notices still worth showing at `now`: younger than NOTICE_MS, the newest NOTICES_PER_USER per owner. */
export function pruneNotices(list: BoomNotice[], now: number): BoomNotice[] {
  const fresh = list.filter((n) => now - Date.parse(n.at) < NOTICE_MS).sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  const count = new Map<string, number>();
  return fresh.filter((n) => {
    const c = (count.get(n.owner) ?? 0) + 1;
    count.set(n.owner, c);
    return c <= NOTICES_PER_USER;
  });
}

export function noticeText(n: BoomNotice): string {
  return `${n.env} was boomed by admin ${n.by} at ${n.at.slice(0, 19).replace('T', ' ')} UTC: ${n.reason}${n.unsaved ? ' (its unsaved changes were lost)' : ''}`;
}

/**
 * The notices of one node. Changes are written one at a time (a queue), each after the list
 * in memory changed, so a reader never waits for the disk and the file follows in order.
 */
export class Notices {
  private list: BoomNotice[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(readonly path: string) {}

  /** Reads the file; a missing or unreadable one starts empty (notices are a courtesy, not state). */
  static async open(path: string, onBad: (err: unknown) => void): Promise<Notices> {
    const n = new Notices(path);
    try {
      const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
      if (Array.isArray(parsed)) n.list = pruneNotices(parsed.filter(isNotice), Date.now());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onBad(err);
    }
    return n;
  }

  of(owner: string, now = Date.now()): BoomNotice[] {
    return pruneNotices(this.list, now).filter((n) => n.owner === owner);
  }

  add(notice: BoomNotice): Promise<void> {
    this.list = pruneNotices([notice, ...this.list], Date.now());
    return this.write();
  }

  /** Forgets an owner's notices (the user was removed). */
  forget(owner: string): Promise<void> {
    if (!this.list.some((n) => n.owner === owner)) return Promise.resolve();
    this.list = this.list.filter((n) => n.owner !== owner);
    return this.write();
  }

  private write(): Promise<void> {
    const run = this.chain.then(async () => {
      try { await writeFileDurably(this.path, JSON.stringify(this.list, null, 2) + '\n', 0o600); } catch (err) { throw fromSystemError(err, `writing ${this.path}`); }
    });
    this.chain = run.catch(() => {});
    return run;
  }
}

function isNotice(x: unknown): x is BoomNotice {
  const n = x as Partial<BoomNotice> | null;
  return !!n && typeof n.env === 'string' && typeof n.owner === 'string' && typeof n.by === 'string'
    && typeof n.reason === 'string' && typeof n.at === 'string' && !Number.isNaN(Date.parse(n.at)) && typeof n.unsaved === 'boolean';
}

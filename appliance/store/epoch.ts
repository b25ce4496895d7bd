// The store's epoch id: names one log, so a replication cursor (epoch, log position) from
// another log is never taken for a position in this one. It is kept in `epoch` beside the
// arenas with one arena's number and creation time (the first, when written), so a store
// whose arenas were replaced (restored, recreated) gets a new epoch even when the old file
// was left behind. Compaction deletes arenas: before it deletes the one the file names, it
// names the next one (`recordEpochArena`), so the log keeps its epoch.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { writeFileDurably } from '../files.js';
import type { Log } from '../log.js';

export const EPOCH_FILE = 'epoch';
const EPOCH_TEXT = /^[0-9a-f]{32}$/;

/** One arena of the log the epoch belongs to: its number and creation time (ms), unique to that file. */
export interface LogIdentity { firstArena: number; created: number }

/** The epoch and the arena its file names, which compaction must move before deleting that arena. */
export interface Epoch { epoch: string; names: LogIdentity }

/**
 * Whether the file's arena is one of this log's: an arena with its number and creation
 * time exists. The first arena, normally; a later one when compaction had named its
 * successor and stopped before deleting the first.
 */
export const sameLog = (stored: LogIdentity, arenas: readonly LogIdentity[]) =>
  arenas.some((a) => a.firstArena === stored.firstArena && a.created === stored.created);

interface EpochFile extends LogIdentity { epoch: string }

async function readEpochFile(path: string): Promise<EpochFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromSystemError(err, `reading ${path}`);
  }
  try {
    const v = JSON.parse(text) as Partial<EpochFile>;
    if (typeof v.epoch === 'string' && EPOCH_TEXT.test(v.epoch) && typeof v.firstArena === 'number' && typeof v.created === 'number') {
      return { epoch: v.epoch, firstArena: v.firstArena, created: v.created };
    }
  } catch { /* unreadable: treated as absent below */ }
  return undefined;
}

/**
 * The epoch for the store in `dir`: the stored one when it names this log and the log kept
 * every durable record (`shortened` is false), else a new one, written durably before
 * the store is used. A shortened log will reuse positions a peer may already hold as its
 * cursor, so it is a new log as far as cursors go.
 */
export async function loadEpoch(dir: string, arenas: readonly LogIdentity[], shortened: boolean, logger: Log): Promise<Epoch> {
  const path = join(dir, EPOCH_FILE);
  const stored = await readEpochFile(path);
  if (stored !== undefined && sameLog(stored, arenas) && !shortened) {
    return { epoch: stored.epoch, names: { firstArena: stored.firstArena, created: stored.created } };
  }
  const epoch = randomBytes(16).toString('hex');
  const first = arenas.reduce((a, b) => (b.firstArena < a.firstArena ? b : a));
  await recordEpochArena(dir, { epoch, names: first });
  if (stored === undefined) logger.info({ epoch }, 'the store has a new epoch id');
  else logger.warn({ old: stored.epoch, epoch, reason: shortened ? 'the log lost durable records' : 'the arenas were replaced' }, 'the store has a new epoch id; peers will rescan it');
  return { epoch, names: first };
}

/** Writes the epoch file durably, naming `names` (an arena that exists and will outlive the write). */
export async function recordEpochArena(dir: string, e: Epoch): Promise<void> {
  const path = join(dir, EPOCH_FILE);
  const content = JSON.stringify({ epoch: e.epoch, firstArena: e.names.firstArena, created: e.names.created }) + '\n';
  await writeFileDurably(path, content, 0o600).catch((err) => { throw fromSystemError(err, `writing ${path}`); });
}

// The store's epoch id: names one log, so a replication cursor (epoch, log position) from
// another log is never taken for a position in this one. It is kept in `epoch` beside the
// arenas with the first arena's number and creation time, so a store whose arenas were
// replaced (restored, recreated) gets a new epoch even when the old file was left behind.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { writeFileDurably } from '../files.js';
import type { Log } from '../log.js';

export const EPOCH_FILE = 'epoch';
const EPOCH_TEXT = /^[0-9a-f]{32}$/;

/** Which log the epoch belongs to: its first arena. Arenas are never deleted, so this never changes for one log. */
export interface LogIdentity { firstArena: number; created: number }

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
export async function loadEpoch(dir: string, log: LogIdentity, shortened: boolean, logger: Log): Promise<string> {
  const path = join(dir, EPOCH_FILE);
  const stored = await readEpochFile(path);
  const same = stored !== undefined && stored.firstArena === log.firstArena && stored.created === log.created;
  if (same && !shortened) return stored.epoch;
  const epoch = randomBytes(16).toString('hex');
  const content = JSON.stringify({ epoch, firstArena: log.firstArena, created: log.created }) + '\n';
  await writeFileDurably(path, content, 0o600).catch((err) => { throw fromSystemError(err, `writing ${path}`); });
  if (stored === undefined) logger.info({ epoch }, 'the store has a new epoch id');
  else logger.warn({ old: stored.epoch, epoch, reason: shortened ? 'the log lost durable records' : 'the arenas were replaced' }, 'the store has a new epoch id; peers will rescan it');
  return epoch;
}

// Expected operating-system errors at start-up, turned into one line that names the path
// or address and says what to do. Node's own messages already name the path or address
// ("EACCES: permission denied, open '/x/health.json'", "listen EADDRINUSE: address already
// in use 0.0.0.0:564"); we keep that and add the remedy. Anything else (a bug) keeps its
// stack for the report. Pure: tested as data.
import { ColonyError, isColonyError, type ErrorCode } from '../errors.js';

const NO_WRITE_ACCESS = { code: 'COLONY_PERMISSION' as ErrorCode, say: 'give the user that runs colony write access to the data directory, or choose another with --data (or $COLONY_DATA)' };

const REMEDY: Record<string, { code: ErrorCode; say: string }> = {
  EACCES: NO_WRITE_ACCESS,
  EPERM: NO_WRITE_ACCESS,
  EROFS: { code: 'COLONY_PERMISSION', say: 'the file system is read-only: mount it read-write, or choose another data directory with --data (or $COLONY_DATA)' },
  ENOSPC: { code: 'COLONY_NO_SPACE', say: 'free some space on that disk and start again' },
  EDQUOT: { code: 'COLONY_NO_SPACE', say: 'the disk quota is used up: free some space and start again' },
  EADDRINUSE: { code: 'COLONY_IO', say: 'another program listens there: stop it, or choose another address (ninep.listen and ssh.listen in the config, or --9p and --ssh)' },
  EADDRNOTAVAIL: { code: 'COLONY_IO', say: 'this machine has no such address: choose one of its own (or 0.0.0.0) in ninep.listen / ssh.listen, or with --9p and --ssh' },
};

/** Binding a port below 1024 without the right is EACCES too, with another remedy. */
const LOW_PORT = { code: 'COLONY_PERMISSION' as ErrorCode, say: 'ports below 1024 need root or CAP_NET_BIND_SERVICE: grant it, or choose a port from 1024 up (ninep.listen, ssh.listen, --9p, --ssh)' };

/** `err` and its causes, at most five deep. */
function* causes(err: unknown): Generator<unknown> {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) yield e;
}

function isListen(err: unknown): boolean {
  for (const e of causes(err)) {
    if ((e as { syscall?: string }).syscall === 'listen' || /^listen E/.test((e as Error).message ?? '')) return true;
  }
  return false;
}

/** For a log line: the message of an expected OS error (its stack says nothing to an operator), any other error whole. */
export const loggable = (err: unknown): unknown => (isExpectedOsError(err) ? String((err as Error).message ?? err) : err);

/** LevelDB reports OS errors as text only ("IO error: …/LOCK: No space left on device"). */
const STRERROR: Array<[RegExp, string]> = [[/No space left on device/, 'ENOSPC'], [/Read-only file system/, 'EROFS'], [/Permission denied/, 'EACCES'], [/Disk quota exceeded/, 'EDQUOT']];

/** The errno name behind `err`, looking through its causes (and LevelDB's error texts). */
export function errnoOf(err: unknown): string | undefined {
  for (const e of causes(err)) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    const text = (e as Error).message ?? '';
    for (const [re, errno] of STRERROR) if (code === 'LEVEL_IO_ERROR' && re.test(text)) return errno;
  }
  return undefined;
}

/** The innermost message of a cause chain: the one that names the file and the reason. */
function innermost(err: unknown): string {
  let last = err;
  for (const e of causes(err)) last = e;
  return (last as Error).message ?? String(last);
}

/** True for the errors a person can fix on the machine (permissions, a full disk, a taken port). */
export const isExpectedOsError = (err: unknown): boolean => REMEDY[errnoOf(err) ?? ''] !== undefined;

/**
 * One line for an expected OS error met while `doing` something (a ColonyError keeps its
 * code and gains the remedy); any other error is returned unchanged.
 */
export function explainOsError(err: unknown, doing: string): unknown {
  const errno = errnoOf(err);
  const remedy = isListen(err) && (errno === 'EACCES' || errno === 'EPERM') ? LOW_PORT : REMEDY[errno ?? ''];
  if (!remedy) return err;
  // A ColonyError already says what was being done; a raw system error does not.
  if (isColonyError(err)) {
    if (err.detail.includes(remedy.say)) return err;
    const inner = innermost(err);
    const why = err.detail.includes(inner) || inner === err.message ? '' : ` (${inner})`;
    return new ColonyError(err.code === 'COLONY_IO' ? remedy.code : err.code, `${err.detail}${why}; ${remedy.say}`, { cause: err });
  }
  return new ColonyError(remedy.code, `${doing}: ${(err as Error).message}; ${remedy.say}`, { cause: err });
}

/** The one line for a data directory that refuses writes (`errno` from access(2)). */
export function unwritableDataDir(dir: string, errno: string, uid: number | undefined): ColonyError {
  const other = 'or choose another with --data (or $COLONY_DATA)';
  if (errno === 'EROFS') return new ColonyError('COLONY_PERMISSION', `the data directory ${dir} is on a read-only file system: mount it read-write, ${other}`);
  const who = uid === undefined ? 'the user that runs colony' : `uid ${uid}`;
  return new ColonyError('COLONY_PERMISSION', `the data directory ${dir} is not writable by ${who} (${errno}): give that user write access (chown or chmod), ${other}`);
}

// The only place Colony's error codes are defined. Callers branch on `err.code`, never
// on the message; the protocol edges (CLI exit codes, 9P errno) map codes to the wire.

export type ErrorCode =
  | 'COLONY_NOT_FOUND' // a score, name, user or file that does not exist
  | 'COLONY_EXISTS' // something immutable is already there
  | 'COLONY_CORRUPT_BLOCK' // a block's bytes do not hash to its score
  | 'COLONY_CORRUPT_DATA' // a structure (record, index entry, tree) fails its own checks
  | 'COLONY_PERMISSION' // the caller may not do this
  | 'COLONY_INVALID' // a malformed argument: bad score text, bad name, bad option
  | 'COLONY_TOO_LARGE' // over a configured size bound
  | 'COLONY_NO_SPACE' // the disk (or a budget) is full
  | 'COLONY_QUOTA' // a user's byte quota is used up
  | 'COLONY_LOCKED' // another process holds the data directory
  | 'COLONY_CLOSED' // used after close()
  | 'COLONY_IO' // the operating system refused an I/O operation
  | 'COLONY_UNSUPPORTED' // a format version or feature we do not speak
  | 'COLONY_NOT_EMPTY' // a directory that must be empty is not
  | 'COLONY_NOT_DIRECTORY' // a path component or target is not a directory
  | 'COLONY_IS_DIRECTORY' // a file operation on a directory
  | 'COLONY_LIMIT' // a configured count limit (spawns, names, fids) is reached
  | 'COLONY_TIMEOUT' // an operation did not finish in its time bound
  | 'COLONY_PROTOCOL' // a peer or client broke a wire protocol (malformed frame, bad tag)
  | 'COLONY_AUTH' // authentication failed or is missing
  | 'COLONY_USAGE' // a command line mistake (exit code 2)
  | 'COLONY_INTERNAL'; // a bug: an invariant did not hold

export class ColonyError extends Error {
  readonly code: ErrorCode;
  /** The message without the code prefix, for people. */
  readonly detail: string;
  /**
   * The POSIX errno name where the code alone is ambiguous (EPERM rather than EACCES,
   * EXDEV, ELOOP, ENAMETOOLONG, ...). Filesystem layers set it; the 9P layer prefers it.
   */
  readonly posix: string | undefined;

  constructor(code: ErrorCode, detail: string, options?: { cause?: unknown; posix?: string }) {
    super(`${code}: ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ColonyError';
    this.code = code;
    this.detail = detail;
    this.posix = options?.posix;
  }
}

/** A filesystem error with its exact POSIX errno, e.g. posixError('COLONY_PERMISSION', 'EPERM', 'not the owner'). */
export const posixError = (code: ErrorCode, posix: string, detail: string) => new ColonyError(code, detail, { posix });

export const isColonyError = (err: unknown, code?: ErrorCode): err is ColonyError =>
  err instanceof ColonyError && (code === undefined || err.code === code);

export const notFound = (what: string, cause?: unknown) =>
  new ColonyError('COLONY_NOT_FOUND', `${what} not found`, { cause });
export const exists = (what: string) => new ColonyError('COLONY_EXISTS', `${what} already exists`);
export const corruptBlock = (score: string, where: string) =>
  new ColonyError('COLONY_CORRUPT_BLOCK', `block ${score} at ${where} does not match its score`);
export const corruptData = (detail: string, cause?: unknown) =>
  new ColonyError('COLONY_CORRUPT_DATA', detail, { cause });
export const permission = (detail: string) => new ColonyError('COLONY_PERMISSION', detail);
export const invalid = (detail: string, cause?: unknown) => new ColonyError('COLONY_INVALID', detail, { cause });
export const quota = (detail: string) => new ColonyError('COLONY_QUOTA', detail);
export const tooLarge = (detail: string) => new ColonyError('COLONY_TOO_LARGE', detail);
export const closed = (what: string) => new ColonyError('COLONY_CLOSED', `${what} is closed`);
export const usage = (detail: string) => new ColonyError('COLONY_USAGE', detail);
export const unsupported = (detail: string) => new ColonyError('COLONY_UNSUPPORTED', detail);
export const internal = (detail: string) => new ColonyError('COLONY_INTERNAL', detail);

/**
 * Turns an operating-system error into a ColonyError with a stable code. ENOSPC and
 * EDQUOT become COLONY_NO_SPACE, ENOENT COLONY_NOT_FOUND, EACCES/EPERM/EROFS
 * COLONY_PERMISSION; anything else is COLONY_IO. `doing` says what we were attempting.
 */
export function fromSystemError(err: unknown, doing: string): ColonyError {
  if (err instanceof ColonyError) return err;
  const sys = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = err instanceof Error ? err.message : String(err);
  switch (sys) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new ColonyError('COLONY_NO_SPACE', `${doing}: the disk is full`, { cause: err });
    case 'ENOENT':
      return new ColonyError('COLONY_NOT_FOUND', `${doing}: ${why}`, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ColonyError('COLONY_PERMISSION', `${doing}: ${why}`, { cause: err });
    default:
      return new ColonyError('COLONY_IO', `${doing}: ${why}`, { cause: err });
  }
}

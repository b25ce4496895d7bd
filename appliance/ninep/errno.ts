// The one place errno appears: Colony error codes → Linux errno for Rlerror, and → the
// conventional Plan 9 strings for Rerror. 9P2000.L carries Linux's numbers whatever the
// server's OS, so they are written out here rather than taken from os.constants.
import { ColonyError, type ErrorCode } from '../errors.js';

export const E = {
  EPERM: 1, ENOENT: 2, E2BIG: 7, EINTR: 4, EIO: 5, ENXIO: 6, EBADF: 9, EAGAIN: 11, EACCES: 13, EBUSY: 16,
  EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EMFILE: 24, EFBIG: 27,
  ENOSPC: 28, EDQUOT: 122, EROFS: 30, EMLINK: 31, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOSYS: 38,
  ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61, EPROTO: 71, EMSGSIZE: 90, EBADMSG: 74, EOVERFLOW: 75, EOPNOTSUPP: 95,
  ETIMEDOUT: 110, ESTALE: 116, ECANCELED: 125,
} as const;
export type ErrnoName = keyof typeof E;

export const errnoOf: Record<ErrorCode, number> = {
  COLONY_NOT_FOUND: E.ENOENT,
  COLONY_EXISTS: E.EEXIST,
  COLONY_CORRUPT_BLOCK: E.EIO,
  COLONY_CORRUPT_DATA: E.EIO,
  COLONY_PERMISSION: E.EACCES,
  COLONY_INVALID: E.EINVAL,
  COLONY_TOO_LARGE: E.EFBIG,
  COLONY_NO_SPACE: E.ENOSPC,
  COLONY_QUOTA: E.EDQUOT,
  COLONY_LOCKED: E.EBUSY,
  COLONY_CLOSED: E.EBADF,
  COLONY_IO: E.EIO,
  COLONY_UNSUPPORTED: E.EOPNOTSUPP,
  COLONY_NOT_EMPTY: E.ENOTEMPTY,
  COLONY_NOT_DIRECTORY: E.ENOTDIR,
  COLONY_IS_DIRECTORY: E.EISDIR,
  COLONY_LIMIT: E.EMFILE,
  COLONY_TIMEOUT: E.ETIMEDOUT,
  COLONY_PROTOCOL: E.EPROTO,
  COLONY_AUTH: E.EACCES,
  COLONY_USAGE: E.EINVAL,
  COLONY_INTERNAL: E.EIO,
};

/** Plan 9's conventional error strings, so Plan 9 programs that compare them still work. */
export const enameOf: Record<ErrorCode, string> = {
  COLONY_NOT_FOUND: 'file does not exist',
  COLONY_EXISTS: 'file already exists',
  COLONY_CORRUPT_BLOCK: 'i/o error: corrupt block',
  COLONY_CORRUPT_DATA: 'i/o error: corrupt data',
  COLONY_PERMISSION: 'permission denied',
  COLONY_INVALID: 'bad argument',
  COLONY_TOO_LARGE: 'file too large',
  COLONY_NO_SPACE: 'file system full',
  COLONY_QUOTA: 'disk quota exceeded',
  COLONY_LOCKED: 'file is locked',
  COLONY_CLOSED: 'fid not open',
  COLONY_IO: 'i/o error',
  COLONY_UNSUPPORTED: 'operation not supported',
  COLONY_NOT_EMPTY: 'directory not empty',
  COLONY_NOT_DIRECTORY: 'not a directory',
  COLONY_IS_DIRECTORY: 'is a directory',
  COLONY_LIMIT: 'too many open files',
  COLONY_TIMEOUT: 'timed out',
  COLONY_PROTOCOL: 'protocol botch',
  COLONY_AUTH: 'authentication failed',
  COLONY_USAGE: 'bad usage',
  COLONY_INTERNAL: 'internal error',
};

// Explicit overrides live beside the error rather than in it, so errors.ts stays the one
// definition of ColonyError. A WeakMap keeps them from outliving the error.
const overrides = new WeakMap<ColonyError, number>();

/**
 * Marks an error with a precise errno where the code alone is ambiguous: EPERM rather
 * than EACCES, EXDEV, ELOOP, ENAMETOOLONG, EROFS, ENODATA, … Returns the same error.
 */
export function withErrno<T extends ColonyError>(err: T, errno: number | ErrnoName): T {
  overrides.set(err, typeof errno === 'number' ? errno : E[errno]);
  return err;
}

/** A ColonyError with an explicit errno in one call. */
export const errnoError = (code: ErrorCode, errno: ErrnoName, detail: string): ColonyError =>
  withErrno(new ColonyError(code, detail), errno);

const linuxByName = E as Record<string, number>;

/** An errno named on the error itself: withErrno here, or `posix` set by a layer below (the volume). */
function explicitErrno(err: ColonyError): number | undefined {
  return overrides.get(err) ?? (err.posix !== undefined ? linuxByName[err.posix] : undefined);
}

/** The errno an Rlerror carries for any thrown value. Unknown errors are EIO. */
export function errnoFor(err: unknown): number {
  if (err instanceof ColonyError) return explicitErrno(err) ?? errnoOf[err.code];
  // A Node system error passed through unchanged (a backend over real files) keeps its errno.
  const sys = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof sys === 'string' && sys in linuxByName) return linuxByName[sys]!;
  return E.EIO;
}

/** Rerror strings for the errnos a backend may name explicitly (withErrno). */
const enameOfErrno: Record<number, string> = {
  [E.EPERM]: 'operation not permitted',
  [E.EBADF]: 'unknown fid',
  [E.EBUSY]: 'file in use',
  [E.EXDEV]: 'cross-device link',
  [E.EROFS]: 'read-only file system',
  [E.ELOOP]: 'too many levels of symbolic links',
  [E.ENAMETOOLONG]: 'file name too long',
  [E.ENODATA]: 'attribute not found',
  [E.EOPNOTSUPP]: 'operation not supported',
  [E.EINTR]: 'interrupted',
};

/** The string an Rerror carries: Plan 9's conventional wording, never free text. */
export function enameFor(err: unknown): string {
  if (err instanceof ColonyError) {
    const errno = explicitErrno(err);
    return (errno !== undefined ? enameOfErrno[errno] : undefined) ?? enameOf[err.code];
  }
  return 'i/o error';
}

const codeByErrno = new Map<number, ErrorCode>();
for (const [code, errno] of Object.entries(errnoOf) as Array<[ErrorCode, number]>) if (!codeByErrno.has(errno)) codeByErrno.set(errno, code);
codeByErrno.set(E.EPERM, 'COLONY_PERMISSION');
codeByErrno.set(E.EROFS, 'COLONY_PERMISSION');
codeByErrno.set(E.ENAMETOOLONG, 'COLONY_INVALID');
codeByErrno.set(E.EXDEV, 'COLONY_INVALID');
codeByErrno.set(E.EIO, 'COLONY_IO');
codeByErrno.set(E.ENODATA, 'COLONY_NOT_FOUND');

/** The client's view: an Rlerror as a ColonyError that remembers its errno. */
export function errorFromErrno(errno: number, doing: string): ColonyError {
  const name = Object.entries(E).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
  return withErrno(new ColonyError(codeByErrno.get(errno) ?? 'COLONY_IO', `${doing}: ${name}`), errno);
}

/** The client's view: an Rerror string as a ColonyError. */
export function errorFromEname(ename: string, doing: string): ColonyError {
  const errno = Object.entries(enameOfErrno).find(([, s]) => s === ename)?.[0];
  if (errno !== undefined) return withErrno(new ColonyError(codeByErrno.get(Number(errno)) ?? 'COLONY_IO', `${doing}: ${ename}`), Number(errno));
  const code = (Object.entries(enameOf) as Array<[ErrorCode, string]>).find(([, s]) => s === ename)?.[0] ?? 'COLONY_IO';
  return new ColonyError(code, `${doing}: ${ename}`);
}

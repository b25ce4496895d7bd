// What the POSIX backend suite (./posix-suite.ts) is given and the 9P requests its cases
// build on: the backend it runs against, what that backend supports, and small client-side
// helpers (errno of a request, read and write whole files, Tsetattr of one field).
import type { Test } from 'tap';
import type { Backend, Node } from '../../../appliance/ninep/backend.js';
import { L_O_CREAT, L_O_RDONLY, L_O_RDWR, L_O_TRUNC, SETATTR_GID, SETATTR_MODE, SETATTR_SIZE, SETATTR_UID } from '../../../appliance/ninep/constants.js';
import { E, errnoFor } from '../../../appliance/ninep/errno.js';
import type { NinepClient } from '../../../appliance/ninep/client.js';

/** A fresh backend; `uid`/`gid` (default 1000) must be allowed to write in its root, as a volume enforces permissions. */
export type MakeBackend = (t: Test) => Promise<{ backend: Backend; root: Node; uid?: number; gid?: number }>;

export interface Supports {
  /** The backend checks modes and owners (MemFs does not). */
  permissions?: boolean;
  /**
   * The backend reads callers' groups from its own /etc/passwd and /etc/group, which
   * make() seeds with alice (1000, primary group 1000, member of staff 50) and bob (1001,
   * group 1001); uid 2000 has no account. The root directory is writable by all.
   */
  groups?: boolean;
}

/** 0 when `p` resolves, else the errno it was rejected with. */
export const errno = (p: Promise<unknown>) => p.then(() => 0, errnoFor);

/** The whole of the file at `path` under `dirFid`, read through 9P. */
export async function readFile(c: NinepClient, dirFid: number, path: string): Promise<string> {
  const f = await c.walkPath(dirFid, path);
  await c.open(f, L_O_RDONLY);
  const data = await c.readAll(f);
  await c.clunk(f);
  return data.toString();
}

/** Writes a file through 9P, making parent directories as needed. */
export async function putFile(c: NinepClient, rootFid: number, path: string, data: string, gid: number): Promise<void> {
  const names = path.split('/').filter(Boolean);
  let dir = (await c.walk(rootFid, [])).fid;
  for (const name of names.slice(0, -1)) {
    await c.mkdir(dir, name, 0o755, gid).catch((err) => { if (errnoFor(err) !== E.EEXIST) throw err; });
    const next = await c.walk(dir, [name]);
    await c.clunk(dir);
    dir = next.fid;
  }
  await c.lcreate(dir, names[names.length - 1]!, L_O_RDWR | L_O_CREAT | L_O_TRUNC, 0o644, gid);
  if (data.length) await c.write(dir, 0, Buffer.from(data));
  await c.clunk(dir);
}

/** Tsetattr of the size alone (truncate). */
export const sizeOnly = (fid: number, size: number) => ({
  type: 'Tsetattr' as const, fid, valid: SETATTR_SIZE, mode: 0, uid: 0, gid: 0, size, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0,
});

/** Tsetattr of the group alone (chown -1 G); chmod and chown are the same request with another field. */
export const chgrp = (fid: number, g: number) => ({
  type: 'Tsetattr' as const, fid, valid: SETATTR_GID, mode: 0, uid: 0, gid: g, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0,
});
export const chmod = (fid: number, mode: number) => ({ ...chgrp(fid, 0), valid: SETATTR_MODE, mode });
export const chown = (fid: number, u: number) => ({ ...chgrp(fid, 0), valid: SETATTR_UID, uid: u });

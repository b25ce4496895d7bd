// Extended attributes, read and written in-process through @napi-rs/xattr (Node has no
// xattr API, and a fresh Debian has no getfattr/setfattr). The binding's calls are
// lgetxattr, llistxattr and lsetxattr: they never follow a final symlink, which is what a
// snapshot wants. Its limits, checked against its source (Brooooooklyn/xattr, src/lib.rs):
// - paths and names are UTF-8 strings;
// - listAttributes fails with InvalidArg on a name that is not UTF-8;
// - getAttribute returns null for any error (it hides the errno);
// - errors carry the errno only in their message, "... (os error N)".
// So a path that is not UTF-8 is addressed as /proc/self/fd/DIRFD/NAME (the directory's fd
// is followed as an inner component; NAME, the final one, is not), and what the binding
// cannot express at all (a final name or an xattr name that is not UTF-8, a hidden error)
// goes to one helper process for the whole import or export (xattr-helper.ts).
//
// Concurrency: the calls are synchronous, as the scan's and the export's other file-system
// calls are; an XattrAddress belongs to one walk at a time.
import { isUtf8 } from 'node:buffer';
import fs, { constants as C } from 'node:fs';
import { constants as OS } from 'node:os';
import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr';
import { ColonyError, fromSystemError } from '../errors.js';
import type { Xattr } from './format.js';

const PROC_FD = '/proc/self/fd';
const ERRNO_NAME = new Map(Object.entries(OS.errno).map(([name, n]) => [n, name]));

/** The binding's error as an errno exception (code 'EPERM', ...) when its message names one. */
export function bindingError(err: unknown): NodeJS.ErrnoException {
  const e = err as Error & { code?: string };
  const n = /\(os error (\d+)\)/.exec(e?.message ?? '')?.[1];
  const code = n === undefined ? e?.code : ERRNO_NAME.get(Number(n));
  return Object.assign(new Error(e?.message ?? String(err), { cause: err }), { code, errno: n === undefined ? undefined : -Number(n) });
}

const notSupported = (code?: string) => code === 'ENOTSUP' || code === 'EOPNOTSUPP';

/**
 * Turns a path (raw bytes) into a string the binding can take, or undefined when it cannot
 * (the final name is not UTF-8, or /proc is not mounted). Keeps the last directory it
 * opened, since a scan or an export addresses the entries of one directory in a row.
 */
export class XattrAddress {
  private dir: { path: Buffer; fd: number } | undefined;

  of(path: Buffer): string | undefined {
    if (isUtf8(path)) return path.toString();
    const cut = path.lastIndexOf(0x2f);
    const name = path.subarray(cut + 1);
    if (cut < 0 || name.length === 0 || !isUtf8(name) || !fs.existsSync(PROC_FD)) return undefined;
    const dir = path.subarray(0, Math.max(cut, 1));
    if (!this.dir?.path.equals(dir)) {
      this.close();
      this.dir = { path: Buffer.from(dir), fd: fs.openSync(dir, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW) };
    }
    return `${PROC_FD}/${this.dir.fd}/${name.toString()}`;
  }

  close(): void {
    if (this.dir) fs.closeSync(this.dir.fd);
    this.dir = undefined;
  }
}

/**
 * The xattrs at `address` (see XattrAddress), sorted by name bytes; [] on a file system
 * without xattrs; null when only the helper can read them (a name that is not UTF-8, or a
 * value the binding would not give, so the helper can say why).
 */
export function readXattrsSync(address: string, shown: Buffer): Xattr[] | null {
  let names: string[];
  try {
    names = listAttributesSync(address);
  } catch (err) {
    const e = bindingError(err);
    if (notSupported(e.code)) return [];
    if (e.code === 'InvalidArg') return null;
    throw fromSystemError(e, `listing the extended attributes of ${shown}`);
  }
  const out: Xattr[] = [];
  for (const name of names) {
    const value = getAttributeSync(address, name);
    if (value === null) return null;
    out.push({ name: Buffer.from(name), value: Buffer.from(value) });
  }
  return out.sort((a, b) => Buffer.compare(a.name, b.name));
}

/** Sets `xattrs` at `address`; false (nothing set) when a name is not UTF-8 and only the helper can. */
export function writeXattrsSync(address: string, xattrs: Xattr[], shown: Buffer): boolean {
  if (!xattrs.every((x) => isUtf8(x.name))) return false;
  for (const x of xattrs) {
    try {
      setAttributeSync(address, x.name.toString(), x.value);
    } catch (err) {
      throw xattrWriteError(bindingError(err), shown, x.name);
    }
  }
  return true;
}

/** An error setting one xattr, with a code a caller can act on. */
export function xattrWriteError(e: NodeJS.ErrnoException, shown: Buffer, name: Buffer): ColonyError {
  const doing = `setting the extended attribute ${JSON.stringify(name.toString())} of ${shown}`;
  if (notSupported(e.code)) return new ColonyError('COLONY_UNSUPPORTED', `${doing}: the file system does not support it`, { cause: e });
  return fromSystemError(e, doing);
}

// bench/grid's trees: the generated source tree and the 1% change applied to it in place.
// Content is random (incompressible, no two blocks alike), so neither tool can win by
// compressing or deduplicating; only by sending what changed.
import { randomFillSync } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { mulberry32 } from '../test/helpers/random.js';

export interface Tree { root: string; files: number; bytes: number; small: Array<{ path: string; size: number }>; large: Array<{ path: string; size: number }> }

const LARGE_FILE = 32 << 20;

/**
 * ~20k small files (1–16 KiB) per GiB in 100 directories, then large random files of 32 MiB
 * (the last one shorter) until the tree holds `totalBytes`.
 */
export async function generateTree(dir: string, totalBytes: number): Promise<Tree> {
  const rand = mulberry32(13);
  const smallCount = Math.max(1, Math.round(20_000 * totalBytes / 2 ** 30));
  // Small files are cut from one random pool at random offsets: distinct content, cheap to make.
  const pool = Buffer.allocUnsafe(32 << 20);
  randomFillSync(pool);
  const small: Tree['small'] = [];
  let bytes = 0;
  for (let i = 0; i < smallCount; i++) {
    const size = 1024 + Math.floor(rand() * 15 * 1024);
    const d = join(dir, `d${i % 100}`);
    if (i < 100) await mkdir(d, { recursive: true });
    const at = Math.floor(rand() * (pool.length - size));
    const path = join(d, `f${i}.bin`);
    await writeFile(path, pool.subarray(at, at + size));
    small.push({ path, size });
    bytes += size;
  }
  await mkdir(join(dir, 'large'), { recursive: true });
  const large: Tree['large'] = [];
  const buf = Buffer.allocUnsafe(LARGE_FILE);
  for (let i = 0; bytes < totalBytes && i < 10_000; i++) {
    const size = Math.min(LARGE_FILE, totalBytes - bytes);
    randomFillSync(buf, 0, size);
    const path = join(dir, 'large', `big${i}.img`);
    await writeFile(path, buf.subarray(0, size));
    large.push({ path, size });
    bytes += size;
  }
  return { root: dir, files: small.length + large.length, bytes, small, large };
}

export interface Change { bytesWritten: number; filesTouched: number; newFiles: number }

/** One edit, by path relative to the tree's root: what both tools' copies receive alike. */
export type ChangeOp =
  | { kind: 'write'; path: string; offset: number; data: Buffer }
  | { kind: 'mkdir'; path: string }
  | { kind: 'create'; path: string; data: Buffer };
export interface ChangePlan extends Change { ops: ChangeOp[] }

/**
 * Plans ~1% of the tree's bytes as edits: half as 64 KiB ranges at unaligned random offsets
 * spread over a quarter of the large files, 40% as whole small files rewritten, 10% as five
 * new files. Planned once, applied to rsync's copy (applyLocal) and through 9P into an
 * environment (grid-ninep.ts), so both tools carry the identical change.
 */
export function planChange(tree: Tree, fraction = 0.01): ChangePlan {
  const rand = mulberry32(1313);
  const target = Math.round(tree.bytes * fraction);
  const ops: ChangeOp[] = [];
  const rel = (p: string) => relative(tree.root, p);
  const fresh = (n: number) => { const b = Buffer.allocUnsafe(n); randomFillSync(b); return b; };
  let written = 0;
  let touched = 0;
  const CHUNK = 64 << 10;
  const pick = tree.large.filter((f, i) => i % 4 === 0 && f.size > CHUNK);
  const inLarge = Math.round(target * 0.5);
  for (let i = 0; pick.length && written < inLarge && i < 100_000; i++) {
    const f = pick[i % pick.length]!;
    ops.push({ kind: 'write', path: rel(f.path), offset: Math.floor(rand() * (f.size - CHUNK)), data: fresh(CHUNK) });
    written += CHUNK;
  }
  touched += pick.length;
  // Small files: rewritten whole with new random bytes of the same size.
  const inSmall = written + Math.round(target * 0.4);
  for (let i = 0; written < inSmall && i < tree.small.length; i++) {
    const f = tree.small[Math.floor(rand() * tree.small.length)]!;
    ops.push({ kind: 'write', path: rel(f.path), offset: 0, data: fresh(f.size) });
    written += f.size;
    touched++;
  }
  // New files: the rest, in five.
  const rest = Math.max(5, target - written);
  ops.push({ kind: 'mkdir', path: 'new' });
  for (let i = 0; i < 5; i++) {
    const data = fresh(Math.ceil(rest / 5));
    ops.push({ kind: 'create', path: `new/n${i}.bin`, data });
    written += data.length;
  }
  return { ops, bytesWritten: written, filesTouched: touched, newFiles: 5 };
}

/** Applies a plan to a directory on disk (rsync's source copy). Every touched file gets a new mtime. */
export async function applyLocal(dir: string, plan: ChangePlan): Promise<void> {
  for (const op of plan.ops) {
    const path = join(dir, op.path);
    if (op.kind === 'mkdir') await mkdir(path, { recursive: true });
    else if (op.kind === 'create') await writeFile(path, op.data);
    else {
      const fh = await open(path, 'r+');
      try { await fh.write(op.data, 0, op.data.length, op.offset); } finally { await fh.close(); }
    }
  }
}

/** Plans ~1% of the tree as a change and applies it in place. */
export async function changeTree(dir: string, tree: Tree, fraction = 0.01): Promise<Change> {
  const plan = planChange(tree, fraction);
  await applyLocal(dir, plan);
  return { bytesWritten: plan.bytesWritten, filesTouched: plan.filesTouched, newFiles: plan.newFiles };
}

/** '256M', '1G', '512MiB', '1073741824' → bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(s.trim());
  if (!m) throw new Error(`--size ${s}: expected a number with K, M or G (e.g. 256M)`);
  const mul = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  const n = Math.round(Number(m[1]) * mul);
  if (n < 1 << 20) throw new Error(`--size ${s}: at least 1M`);
  return n;
}

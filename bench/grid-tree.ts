// bench/grid's trees: the generated source tree and the 1% change applied to it in place.
// Content is random (incompressible, no two blocks alike), so neither tool can win by
// compressing or deduplicating; only by sending what changed.
import { randomFillSync } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32 } from '../test/helpers/random.js';

export interface Tree { files: number; bytes: number; small: string[]; large: Array<{ path: string; size: number }> }

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
  const small: string[] = [];
  let bytes = 0;
  for (let i = 0; i < smallCount; i++) {
    const size = 1024 + Math.floor(rand() * 15 * 1024);
    const d = join(dir, `d${i % 100}`);
    if (i < 100) await mkdir(d, { recursive: true });
    const at = Math.floor(rand() * (pool.length - size));
    const path = join(d, `f${i}.bin`);
    await writeFile(path, pool.subarray(at, at + size));
    small.push(path);
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
  return { files: small.length + large.length, bytes, small, large };
}

export interface Change { bytesWritten: number; filesTouched: number; newFiles: number }

/**
 * Rewrites ~1% of the tree's bytes in place: half as 64 KiB ranges at unaligned random
 * offsets spread over a quarter of the large files, 40% as whole small files rewritten, 10% as
 * five new files. Every touched file gets a new mtime, so both tools notice it.
 */
export async function changeTree(dir: string, tree: Tree, fraction = 0.01): Promise<Change> {
  const rand = mulberry32(1313);
  const target = Math.round(tree.bytes * fraction);
  let written = 0;
  let touched = 0;
  const chunk = Buffer.allocUnsafe(64 << 10);
  // Large files: 64 KiB overwrites round-robin over a quarter of them.
  const pick = tree.large.filter((_, i) => i % 4 === 0);
  const inLarge = Math.round(target * 0.5);
  for (let i = 0; pick.length && written < inLarge && i < 100_000; i++) {
    const f = pick[i % pick.length]!;
    if (f.size <= chunk.length) continue;
    randomFillSync(chunk);
    const fh = await open(f.path, 'r+');
    try { await fh.write(chunk, 0, chunk.length, Math.floor(rand() * (f.size - chunk.length))); } finally { await fh.close(); }
    written += chunk.length;
  }
  touched += pick.length;
  // Small files: rewritten whole with new random bytes of the same size.
  const inSmall = written + Math.round(target * 0.4);
  for (let i = 0; written < inSmall && i < tree.small.length; i++) {
    const path = tree.small[Math.floor(rand() * tree.small.length)]!;
    const fh = await open(path, 'r+');
    try {
      const { size } = await fh.stat();
      const b = Buffer.allocUnsafe(size);
      randomFillSync(b);
      await fh.write(b, 0, size, 0);
      written += size;
      touched++;
    } finally { await fh.close(); }
  }
  // New files: the rest, in five.
  const rest = Math.max(5, target - written);
  await mkdir(join(dir, 'new'), { recursive: true });
  for (let i = 0; i < 5; i++) {
    const b = Buffer.allocUnsafe(Math.ceil(rest / 5));
    randomFillSync(b);
    await writeFile(join(dir, 'new', `n${i}.bin`), b);
    written += b.length;
  }
  return { bytesWritten: written, filesTouched: touched, newFiles: 5 };
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

// A manifest of a directory tree: every path with its type, mode, owner, size, content
// hash, symlink target and link identity. Two trees are equal when their manifests are.
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface ManifestOptions { mtime?: boolean; owner?: boolean }

export async function manifest(root: string, opts: ManifestOptions = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const inodes = new Map<number, string>();
  const visit = async (rel: string) => {
    const abs = join(root, rel);
    const st = await lstat(abs, { bigint: true });
    const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : 'other';
    const parts = [type, (Number(st.mode) & 0o7777).toString(8)];
    if (opts.owner !== false) parts.push(`${st.uid}:${st.gid}`);
    if (opts.mtime) parts.push(String(st.mtimeNs));
    if (type === 'file') {
      parts.push(String(st.size), createHash('sha256').update(await readFile(abs)).digest('hex').slice(0, 16));
      if (st.nlink > 1n) {
        const first = inodes.get(Number(st.ino));
        if (first) parts.push(`link=${first}`); else inodes.set(Number(st.ino), rel);
      }
    }
    if (type === 'symlink') parts.push(await readlink(abs));
    out[rel || '.'] = parts.join(' ');
    if (type === 'dir') for (const name of (await readdir(abs)).sort()) await visit(rel ? `${rel}/${name}` : name);
  };
  await visit('');
  return out;
}

// The volume against a reference: the same seeded random sequence of operations runs on
// a volume and on a real directory; the trees are compared every N steps, and once more
// after a save and an export of the saved snapshot.
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rename, rmdir, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { exportDirectory, importDirectory } from '../../../appliance/snapshot/index.js';
import { ROOT_INO, Volume } from '../../../appliance/volume/index.js';
import { mulberry32 } from '../../fixtures/store-crash-data.js';
import { manifest } from '../../helpers/manifest.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

// The errno a ColonyError stands for when it names none itself (as the 9P layer maps it).
const ERRNO: Record<string, string> = {
  COLONY_NOT_FOUND: 'ENOENT', COLONY_EXISTS: 'EEXIST', COLONY_NOT_EMPTY: 'ENOTEMPTY', COLONY_NOT_DIRECTORY: 'ENOTDIR',
  COLONY_IS_DIRECTORY: 'EISDIR', COLONY_INVALID: 'EINVAL', COLONY_PERMISSION: 'EACCES',
};
const STEPS = Number(process.env.COLONY_MODEL_STEPS ?? 3000);
const root = { uid: 0, gid: 0 };

/** Reads a volume into a manifest of the same shape as the directory's (no mtimes, no owners). */
async function volumeManifest(v: Volume): Promise<Record<string, string>> {
  const { createHash } = await import('node:crypto');
  const out: Record<string, string> = {};
  const firstName = new Map<number, string>();
  const visit = async (ino: number, rel: string) => {
    const a = await v.getattr(ino);
    const parts = [a.kind, (a.mode & 0o7777).toString(8)];
    if (a.kind === 'file') {
      parts.push(String(a.size), createHash('sha256').update(await v.read(ino, 0, a.size)).digest('hex').slice(0, 16));
      if (a.nlink > 1) { const f = firstName.get(ino); if (f) parts.push(`link=${f}`); else firstName.set(ino, rel); }
    }
    if (a.kind === 'symlink') parts.push((await v.readlink(ino)).toString());
    out[rel || '.'] = parts.join(' ');
    if (a.kind === 'dir') {
      const entries = (await v.readdir(ino, 0, 1e6)).filter((e) => e.name !== '.' && e.name !== '..').sort((x, y) => (x.name < y.name ? -1 : 1));
      for (const e of entries) await visit(e.ino, rel ? `${rel}/${e.name}` : e.name);
    }
  };
  await visit(ROOT_INO, '');
  return out;
}

/** Resolves a relative path in the volume, or undefined. */
async function ino(v: Volume, rel: string): Promise<number | undefined> {
  try { return (await v.resolvePath(rel)).ino; } catch { return undefined; }
}

t.test(`${STEPS} random operations on a volume match a real directory`, async (t) => {
  const base = await tmpDir(t);
  const ref = join(base, 'ref');
  await mkdir(join(ref, 'd0/d1'), { recursive: true });
  await writeFile(join(ref, 'd0/seed.txt'), 'seed\n');
  await writeFile(join(ref, 'big'), Buffer.alloc(300_000, 7));
  const { store } = await tmpStore(t);
  const { root: start } = await importDirectory(store, ref);
  const v = await Volume.open(store, start, { cacheBytes: 1 << 20 }); // small, so spilling happens
  const rand = mulberry32(Number(process.env.COLONY_MODEL_SEED ?? 42));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const names = ['a', 'b', 'c', 'd0', 'd1', 'e', 'seed.txt', 'big'];

  // Paths by type, from lstat alone (hashing contents every step would dominate the run).
  const allPaths = async (): Promise<{ dirs: string[]; files: string[]; all: string[] }> => {
    const dirs = [''];
    const files: string[] = [];
    const all: string[] = [];
    for (let i = 0; i < dirs.length; i++) {
      for (const name of (await readdir(join(ref, dirs[i]!))).sort()) {
        const rel = dirs[i] ? `${dirs[i]}/${name}` : name;
        const l = await lstat(join(ref, rel));
        all.push(rel);
        if (l.isDirectory()) dirs.push(rel);
        else if (l.isFile()) files.push(rel);
      }
    }
    return { dirs, files, all };
  };
  const j = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
  let errorsAgreed = 0;

  for (let step = 1; step <= STEPS; step++) {
    const { dirs, files, all } = await allPaths();
    const op = Math.floor(rand() * 11);
    const dir = pick(dirs);
    const name = pick(names);
    const path = j(dir, name);
    // Each op runs on both sides; both must succeed, or both must fail.
    let refErr: string | undefined;
    let volErr: string | undefined;
    const both = async (onRef: () => Promise<unknown>, onVol: () => Promise<unknown>) => {
      await onRef().catch((e: NodeJS.ErrnoException) => { refErr = e.code; });
      await onVol().catch((e: { posix?: string; code?: string }) => { volErr = e.posix ?? ERRNO[e.code ?? ''] ?? e.code; });
    };
    const dirIno = (await ino(v, dir))!;
    switch (op) {
      case 0: case 1: { // write at a random offset (maybe creating the file)
        const off = Math.floor(rand() * 200_000);
        const data = Buffer.alloc(1 + Math.floor(rand() * 70_000), Math.floor(rand() * 256));
        await both(async () => { const fh = await open(join(ref, path), constants.O_WRONLY | constants.O_CREAT); await fh.write(data, 0, data.length, off); await fh.close(); },
          async () => { const f = (await ino(v, path)) ?? await v.create(root, dirIno, name, 'file', 0o644, 0); if ((await v.getattr(f)).kind === 'symlink') throw Object.assign(new Error(), { posix: 'ENOENT' }); // every target dangles, and the directory side follows it
 await v.open(root, f, 1); await v.write(root, f, off, data); v.release(f); });
        break;
      }
      case 2: { const size = Math.floor(rand() * 250_000); const f = files.length ? pick(files) : path;
        await both(() => truncate(join(ref, f), size), async () => { const i = await ino(v, f); if (i === undefined) throw Object.assign(new Error(), { posix: 'ENOENT' }); await v.setattr(root, i, { size }); }); break; }
      case 3: await both(() => mkdir(join(ref, path)), async () => v.create(root, dirIno, name, 'dir', 0o755, 0)); break;
      case 4: await both(() => unlink(join(ref, path)), async () => v.unlink(root, dirIno, name, false)); break;
      case 5: await both(() => rmdir(join(ref, path)), async () => v.unlink(root, dirIno, name, true)); break;
      case 6: case 7: { const src = all.length ? pick(all) : path; const dst = j(pick(dirs), pick(names));
        const [sd, sn] = [src.includes('/') ? src.slice(0, src.lastIndexOf('/')) : '', src.slice(src.lastIndexOf('/') + 1)];
        const [dd, dn] = [dst.includes('/') ? dst.slice(0, dst.lastIndexOf('/')) : '', dst.slice(dst.lastIndexOf('/') + 1)];
        await both(() => rename(join(ref, src), join(ref, dst)), async () => v.rename(root, (await ino(v, sd))!, sn, (await ino(v, dd))!, dn)); break; }
      case 8: { const target = files.length ? pick(files) : path;
        await both(() => link(join(ref, target), join(ref, path)), async () => { const i = await ino(v, target); if (i === undefined) throw Object.assign(new Error(), { posix: 'ENOENT' }); await v.link(root, dirIno, name, i); }); break; }
      case 9: await both(() => symlink('some/target', join(ref, path)), async () => v.create(root, dirIno, name, 'symlink', 0o777, 0, { target: Buffer.from('some/target') })); break;
      case 10: { const f = files.length ? pick(files) : path; const mode = Math.floor(rand() * 0o777);
        await both(async () => { const { chmod } = await import('node:fs/promises'); await chmod(join(ref, f), mode); }, async () => { const i = await ino(v, f); if (i === undefined) throw Object.assign(new Error(), { posix: 'ENOENT' }); await v.setattr(root, i, { mode }); }); break; }
    }
    if (refErr !== volErr) t.fail(`step ${step} op ${op} on ${path}: directory says ${refErr ?? 'ok'}, volume says ${volErr ?? 'ok'}`);
    if (refErr) errorsAgreed++;
    if (step % 250 === 0 || step === STEPS) t.same(await volumeManifest(v), await manifest(ref, { owner: false }), `trees agree after step ${step}`);
  }
  t.ok(errorsAgreed > 0, `${errorsAgreed} operations failed the same way on both sides`);
  t.ok(v.stats().spilledLeaves > 0, 'dirty data spilled past the 1 MiB cache');

  const { root: saved } = await v.save({ comment: 'model' });
  const out = join(base, 'out');
  await exportDirectory(store, saved, out);
  t.same(await manifest(out, { owner: false }), await manifest(ref, { owner: false }), 'the saved snapshot exports to the same tree');
  t.same(await volumeManifest(v), await manifest(ref, { owner: false }), 'the volume still agrees after the save');
});

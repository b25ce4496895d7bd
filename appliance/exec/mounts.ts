// An environment's root on the host: mounted once (on its first process) with the kernel's
// v9fs over the supervisor's own 9P unix socket, unmounted when it stops. And looking inside
// an environment (does the shell exist? where does this symlink lead?) without the host.
//
// The supervisor never touches the mounted files itself: a libuv pool thread blocked on a
// v9fs request that this same process must answer (its store reads need that pool too) could
// deadlock. Lookups go to the volume directly (volumeFs); mount and umount run as children.
import { execFile } from 'node:child_process';
import { lstat, mkdir, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ColonyError } from '../errors.js';
import { ROOT_CRED, type Volume } from '../volume/index.js';
import { unescapeMount } from './probe.js';

export type CacheMode = 'none' | 'loose' | 'fscache' | 'mmap';

/** The mount(8) arguments for one environment (pure). */
export function mountArgs(o: { socket: string; dir: string; owner: string; env: string; cache: CacheMode }): string[] {
  const opts = ['trans=unix', 'version=9p2000.L', 'access=user', `uname=${o.owner}`, `aname=env/${o.env}`, 'msize=262144', `cache=${o.cache}`, 'nosuid', 'nodev'];
  return ['-t', '9p', '-o', opts.join(','), o.socket, o.dir];
}

/** Mount points at or under `dir` in mountinfo text, deepest first (pure). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const prefix = dir.replace(/\/+$/, '') + '/';
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const point = line.split(' ')[4];
    if (!point) continue;
    const p = unescapeMount(point);
    if (p.startsWith(prefix)) out.push(p);
  }
  return out.sort((a, b) => b.length - a.length);
}

export function run(file: string, args: string[], ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: ms }, (err, _out, stderr) => {
      if (err) reject(new ColonyError('COLONY_IO', `${file} ${args.join(' ')}: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

export async function mountEnv(mountBin: string, o: Parameters<typeof mountArgs>[0]): Promise<void> {
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  await run(mountBin, mountArgs(o), 30_000);
}

/** Unmounts; a busy mount is detached lazily (its last process is being killed anyway). */
export async function unmount(umountBin: string, dir: string): Promise<void> {
  await run(umountBin, [dir], 15_000).catch(() => run(umountBin, ['-l', dir], 15_000));
}

/** Lazily unmounts whatever a killed supervisor left mounted under `dir`. */
export async function cleanStale(umountBin: string, dir: string): Promise<string[]> {
  const points = mountsUnder(await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''), dir);
  for (const p of points) await run(umountBin, ['-l', p], 15_000).catch(() => {});
  return points;
}

// ---- looking inside an environment ----

export interface Stat { kind: 'file' | 'dir' | 'symlink' | 'other'; mode: number }

/** What the executor reads of an environment's tree; paths are absolute inside it, symlink-free but for the last part. */
export interface EnvFs {
  lstat(path: string): Promise<Stat | undefined>;
  readlink(path: string): Promise<string>;
  /** A small file's text, or undefined. */
  readText(path: string): Promise<string | undefined>;
  /** Makes a directory as root when nothing is at `path` (proc, dev, tmp before the first launch). */
  ensureDir(path: string, mode: number): Promise<void>;
}

export function volumeFs(volume: Volume): EnvFs {
  const node = (path: string) => volume.resolvePath(path).catch(() => undefined);
  return {
    async lstat(path) {
      const n = await node(path);
      if (!n) return undefined;
      const a = await volume.getattr(n.ino);
      return { kind: a.kind === 'file' || a.kind === 'dir' || a.kind === 'symlink' ? a.kind : 'other', mode: a.mode & 0o7777 };
    },
    async readlink(path) { return (await volume.readlink((await volume.resolvePath(path)).ino)).toString(); },
    async readText(path) {
      const n = await node(path);
      if (!n || n.kind !== 'file') return undefined;
      return (await volume.read(n.ino, 0, 1 << 20)).toString();
    },
    async ensureDir(path, mode) {
      if (await node(path)) return;
      const parent = await volume.resolvePath(posix.dirname(path));
      await volume.create(ROOT_CRED, parent.ino, posix.basename(path), 'dir', mode, 0).catch(() => {});
    },
  };
}

/** A plain host directory as an environment's tree (host tests; see ExecutorOptions.testing). */
export function dirFs(root: string): EnvFs {
  const host = (p: string) => join(root, p);
  return {
    async lstat(path) {
      const s = await lstat(host(path)).catch(() => undefined);
      if (!s) return undefined;
      return { kind: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other', mode: s.mode & 0o7777 };
    },
    readlink: (path) => readlink(host(path)),
    readText: (path) => readFile(host(path), 'utf8').catch(() => undefined),
    async ensureDir(path, mode) { await mkdir(host(path), { mode }).catch(() => {}); },
  };
}

const HOPS = 40; // as the kernel's MAXSYMLINKS

/** Resolves `path` inside the environment, following symlinks there (absolute ones from its root); undefined when missing. */
export async function resolveIn(fs: EnvFs, path: string, cwd = '/'): Promise<string | undefined> {
  let todo = posix.isAbsolute(path) ? path.split('/') : [...cwd.split('/'), ...path.split('/')];
  let at: string[] = [];
  let hops = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (!part || part === '.') continue;
    if (part === '..') { at.pop(); continue; }
    const p = '/' + [...at, part].join('/');
    const st = await fs.lstat(p);
    if (!st) return undefined;
    if (st.kind === 'symlink') {
      if (++hops > HOPS) return undefined;
      const target = await fs.readlink(p);
      if (target.startsWith('/')) at = [];
      todo = [...target.split('/'), ...todo];
      continue;
    }
    if (st.kind !== 'dir' && todo.some((x) => x && x !== '.')) return undefined; // a file in the middle
    at.push(part);
  }
  return '/' + at.join('/');
}

/** The program `name` would run inside: a path (relative to cwd) or the first executable in PATH. */
export async function findProgram(fs: EnvFs, name: string, pathVar: string, cwd: string): Promise<string | undefined> {
  const candidates = name.includes('/') ? [name] : pathVar.split(':').filter(Boolean).map((d) => posix.join(d, name));
  for (const c of candidates) {
    const r = await resolveIn(fs, c, cwd);
    if (!r) continue;
    const st = await fs.lstat(r);
    if (st?.kind === 'file' && st.mode & 0o111) return r;
  }
  return undefined;
}

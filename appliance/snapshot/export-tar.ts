// Export to a tar stream: pax format, entries in walk order, the top as "./", hard links
// as link entries to the group's first name, sparse regions written as zeros.
import type { Writable } from 'node:stream';
import { ColonyError, fromSystemError } from '../errors.js';
import type { Score } from '../store/index.js';
import { readLeaves, type BlockReader } from './content.js';
import { END_OF_ARCHIVE, encodeTarHeader, padding, type TarHeader } from './tar-write.js';
import { readRoot, walk } from './walk.js';

export interface ExportProgress { bytes: number; files: number }
export interface ExportOptions { onProgress?: (p: ExportProgress) => void }
export interface ExportStats {
  files: number; dirs: number; bytes: number;
  /** Sockets not written: tar has no socket type (GNU tar says "socket ignored" and goes on). */
  socketsSkipped: number;
}

/** Writes with backpressure; the first error of the stream fails every later write. */
export class Sink {
  private failed: Error | undefined;

  constructor(private readonly out: Writable) {
    out.on('error', (err) => { this.failed ??= err; });
  }

  async write(buf: Buffer): Promise<void> {
    if (this.failed) throw fromSystemError(this.failed, 'writing the tar stream');
    if (this.out.write(buf)) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        this.out.off('drain', onDrain); this.out.off('error', onError); this.out.off('close', onClose);
        if (err) reject(fromSystemError(err, 'writing the tar stream')); else resolve();
      };
      const onDrain = () => settle();
      const onError = (err: Error) => settle(err);
      const onClose = () => settle(new ColonyError('COLONY_IO', 'the output closed before the tar stream was written'));
      this.out.on('drain', onDrain);
      this.out.on('error', onError);
      this.out.on('close', onClose);
    });
  }

  async end(): Promise<void> {
    if (this.failed) throw fromSystemError(this.failed, 'writing the tar stream');
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(fromSystemError(err, 'writing the tar stream')) : resolve())));
  }
}

/** Writes the snapshot at `root` as a tar stream to `out` and ends it. */
export async function exportTar(store: BlockReader, root: Score, out: Writable, opts: ExportOptions = {}): Promise<ExportStats> {
  const sink = new Sink(out);
  const stats: ExportStats = { files: 0, dirs: 0, bytes: 0, socketsSkipped: 0 };
  const firstOfGroup = new Map<number, Buffer>();
  const r = await readRoot(store, root);
  const blockSize = r.blockSize;
  const zeros = Buffer.alloc(blockSize);
  for await (const { path, entry: e } of walk(store, r)) {
    // Every name of a hard-linked socket is itself a socket entry, so skipping here never
    // leaves a link entry pointing at a name the archive lacks.
    if (e.kind === 'socket') { stats.socketsSkipped++; continue; }
    const name = Buffer.concat([Buffer.from('./'), path, Buffer.from(e.kind === 'dir' && path.length ? '/' : '')]);
    const h: TarHeader = {
      path: name, type: e.kind, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, size: 0,
      linkname: e.target, major: e.major, minor: e.minor, xattrs: e.xattrs,
    };
    const first = e.link ? firstOfGroup.get(e.link) : undefined;
    if (first) {
      await sink.write(encodeTarHeader({ ...h, type: 'link', linkname: first, xattrs: [] }));
      continue;
    }
    if (e.link) firstOfGroup.set(e.link, name);
    if (e.kind === 'dir') { stats.dirs++; await sink.write(encodeTarHeader(h)); continue; }
    if (e.kind !== 'file') { await sink.write(encodeTarHeader(h)); continue; }
    stats.files++;
    await sink.write(encodeTarHeader({ ...h, size: e.size }));
    if (e.inline) await sink.write(e.inline);
    else if (e.size > 0) {
      for await (const leaf of readLeaves(store, e.score, e.size, blockSize)) {
        const len = Math.min(blockSize, e.size - leaf.index * blockSize);
        await sink.write(leaf.data ?? zeros.subarray(0, len));
        stats.bytes += len;
        if (leaf.index % 256 === 255) opts.onProgress?.({ bytes: stats.bytes, files: stats.files });
      }
    }
    if (e.inline) stats.bytes += e.size;
    await sink.write(padding(e.size));
    opts.onProgress?.({ bytes: stats.bytes, files: stats.files });
  }
  await sink.write(END_OF_ARCHIVE);
  await sink.end();
  return stats;
}

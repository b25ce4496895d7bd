// One arena file: append-only, positional reads, sealed once full. The store decides what
// to write; this file only moves bytes and turns OS errors into ColonyErrors.
import { read as readFd } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ColonyError, fromSystemError, internal } from '../errors.js';
import { loadFreed, skipFreed, type Range } from './freed.js';
import { ARENA_HEADER_BYTES, decodeArenaHeader, encodeArenaHeader } from './record.js';

const NAME = /^arena-(\d{6})\.dat$/;
export const arenaFileName = (n: number) => `arena-${String(n).padStart(6, '0')}.dat`;

/** Arena numbers present in `dir`, ascending. */
export async function listArenas(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch((err) => { throw fromSystemError(err, `listing arenas in ${dir}`); });
  return names.flatMap((n) => { const m = NAME.exec(n); return m ? [Number(m[1])] : []; }).sort((a, b) => a - b);
}

/** Thrown by an arena that compaction removed; the store retries from the index. */
export const arenaGone = (number: number) => new ColonyError('COLONY_NOT_FOUND', `arena ${number} was removed by compaction`);

export class Arena {
  /** Reads in flight: a retired arena closes its file only once they are done. */
  private reads = 0;
  private retired = false;
  private closing: Promise<void> | undefined;
  /**
   * Spans whose records left the log (freed.ts); every walk skips them, since their bytes
   * may be a hole. Replaced whole, never edited, so a walk in progress sees one list or the other.
   */
  freed: readonly Range[] = [];

  private constructor(
    readonly number: number,
    readonly path: string,
    private readonly file: FileHandle,
    /** Bytes in the file that belong to the log: the header plus whole records. */
    public size: number,
    readonly created: number,
  ) {}

  static async create(dir: string, number: number): Promise<Arena> {
    const path = join(dir, arenaFileName(number));
    let file: FileHandle | undefined;
    try {
      file = await open(path, 'wx+');
      const created = Date.now();
      await file.write(encodeArenaHeader({ number, created }), 0, ARENA_HEADER_BYTES, 0);
      await file.sync();
      return new Arena(number, path, file, ARENA_HEADER_BYTES, created);
    } catch (err) {
      await file?.close().catch(() => {});
      throw fromSystemError(err, `creating arena ${path}`);
    }
  }

  static async open(dir: string, number: number, writable: boolean): Promise<Arena> {
    const path = join(dir, arenaFileName(number));
    const file = await open(path, writable ? 'r+' : 'r').catch((err) => { throw fromSystemError(err, `opening arena ${path}`); });
    try {
      const { size } = await file.stat();
      const head = Buffer.alloc(ARENA_HEADER_BYTES);
      await file.read(head, 0, ARENA_HEADER_BYTES, 0);
      const header = decodeArenaHeader(head, path);
      if (header.number !== number) throw internal(`${path} says it is arena ${header.number}`);
      const arena = new Arena(number, path, file, size, header.created);
      arena.freed = await loadFreed(dir, number);
      return arena;
    } catch (err) {
      await file.close().catch(() => {});
      throw fromSystemError(err, `opening arena ${path}`);
    }
  }

  /** The file's length on disk, which may exceed `size` after a torn write. */
  async fileSize(): Promise<number> {
    if (this.retired) throw arenaGone(this.number);
    return (await this.file.stat()).size;
  }

  /** Bytes the file takes on the disk: its size less the holes punched in it. */
  async diskBytes(): Promise<number> {
    if (this.retired) throw arenaGone(this.number);
    const st = await this.file.stat();
    return Math.min(st.size, st.blocks * 512);
  }

  /** Where a walk at `offset` goes on: past the freed range holding it, else `offset` itself. */
  skip(offset: number): number {
    return this.freed.length === 0 ? offset : skipFreed(this.freed, offset);
  }

  /** Whether compaction removed this arena: reads fail, and callers look again in the index. */
  get removed(): boolean { return this.retired; }

  /**
   * Takes the arena out of service after its file was unlinked: reads already in flight
   * finish (the open descriptor keeps the bytes), later ones throw `arenaGone`, and the
   * descriptor is closed when the last read is done, so it is never reused under a read.
   */
  retire(): void {
    this.retired = true;
    if (this.reads === 0) void this.close();
  }

  /**
   * Positional read. It uses the callback form of fs.read on the raw descriptor: measured
   * here, FileHandle.read costs about three times as much per 64 KiB block.
   */
  async read(offset: number, length: number): Promise<Buffer> {
    if (this.retired) throw arenaGone(this.number);
    this.reads++;
    try {
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = await new Promise<number>((resolve, reject) => {
          readFd(this.file.fd, buf, done, length - done, offset + done, (err, bytesRead) => (err ? reject(fromSystemError(err, `reading ${this.path} at ${offset}`)) : resolve(bytesRead)));
        });
        if (n === 0) break;
        done += n;
      }
      return done === length ? buf : buf.subarray(0, done);
    } finally {
      if (--this.reads === 0 && this.retired) void this.close();
    }
  }

  /** Writes `chunks` at the end of the log and advances `size` only if all of it landed. */
  async append(chunks: Buffer[], bytes: number): Promise<void> {
    try {
      let written = 0;
      let rest = chunks;
      while (written < bytes) {
        const { bytesWritten } = await this.file.writev(rest, this.size + written);
        written += bytesWritten;
        if (written < bytes) rest = [Buffer.concat(chunks).subarray(written)];
      }
    } catch (err) {
      throw fromSystemError(err, `appending to ${this.path}`);
    }
    this.size += bytes;
  }

  /** Cuts the file back to `size` bytes, dropping a torn or failed tail. */
  async truncate(size: number): Promise<void> {
    try { await this.file.truncate(size); } catch (err) { throw fromSystemError(err, `truncating ${this.path}`); }
    this.size = size;
  }

  async sync(): Promise<void> {
    try { await this.file.datasync(); } catch (err) { throw fromSystemError(err, `syncing ${this.path}`); }
  }

  async close(): Promise<void> {
    this.closing ??= this.file.close().catch(() => {});
    await this.closing;
  }
}

// The receivers' saved cursors, one per peer, in one JSON file (DATA/peer/cursors.json):
// { "version": 1, "peers": { "<peerId>": { "epoch": "<32 hex>", "pos": <log position> } } }.
// Each save rewrites the file durably (temp file, fsync, rename, fsync dir), so after a
// crash it holds the old cursors or the new ones. A cursor is saved only after the blocks
// before it are synced here (block-wants.ts's advanceCursor rule).
//
// Concurrency: receivers for several peers share one CursorFile; saves are serialised on
// one chain and each writes the whole map as it is then, so the last write holds every
// peer's latest cursor.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { corruptData, fromSystemError } from '../errors.js';
import { ensureDir, writeFileDurably } from '../files.js';
import type { SavedCursor } from './block-wants.js';

export class CursorFile {
  private cursors = new Map<string, SavedCursor>();
  private chain: Promise<void> = Promise.resolve();
  private loaded: Promise<void> | undefined;
  writes = 0;

  constructor(readonly path: string) {}

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      let text: string;
      try {
        text = await readFile(this.path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw fromSystemError(err, `reading ${this.path}`);
      }
      let doc: { version?: number; peers?: Record<string, SavedCursor> };
      try { doc = JSON.parse(text); } catch (err) { throw corruptData(`${this.path} is not JSON`, err); }
      if (doc.version !== 1 || typeof doc.peers !== 'object' || doc.peers === null) throw corruptData(`${this.path} is not a version 1 cursor file`);
      for (const [peer, c] of Object.entries(doc.peers)) {
        if (typeof c?.epoch === 'string' && Number.isSafeInteger(c.pos) && c.pos >= 0) this.cursors.set(peer, { epoch: c.epoch, pos: c.pos });
      }
    })();
    return this.loaded;
  }

  async get(peer: string): Promise<SavedCursor | undefined> {
    await this.load();
    return this.cursors.get(peer);
  }

  async save(peer: string, cursor: SavedCursor): Promise<void> {
    await this.load();
    this.cursors.set(peer, { ...cursor });
    const run = this.chain.then(async () => {
      await ensureDir(dirname(this.path));
      const doc = { version: 1, peers: Object.fromEntries([...this.cursors].sort(([a], [b]) => a.localeCompare(b))) };
      await writeFileDurably(this.path, `${JSON.stringify(doc, null, 1)}\n`, 0o600);
      this.writes++;
    });
    this.chain = run.catch(() => {});
    return run;
  }
}

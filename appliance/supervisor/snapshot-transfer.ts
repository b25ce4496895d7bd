// The SSH console's `import NAME` / `export NAME` (console/transfer.ts): the supervisor's
// store and catalog behind the console's SnapshotTransfer, so the console never imports
// appliance/snapshot. The steps are `colony import - NAME` and `colony export NAME -`
// (cli/snapshot-commands.ts) as they run forwarded into the supervisor: the same import and
// export functions, the same name check, the same refusal of a taken name, the same lines.
import type { Writable } from 'node:stream';
import { checkName, refuseTakenName, type Catalog, type NameRecord } from '../catalog/index.js';
import type { ConsoleReply, SnapshotTransfer } from '../console/index.js';
import { bytes } from '../console/format.js';
import { ColonyError } from '../errors.js';
import type { Log } from '../log.js';
import { exportTar, importTar, type ImportResult } from '../snapshot/index.js';
import { formatScore, type BlockStore } from '../store/index.js';

export interface SnapshotTransferOptions {
  store: BlockStore;
  catalog: Catalog;
  log: Log;
  /** Quotas, and the holds that keep an import's blocks from a collection until it is named. */
  gc?: ImportGuard;
  /** Counts the import as busy work (the LEDs' busy blink), as a local `colony import` is. */
  busy: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
}

/** What an import asks of the garbage collector (supervisor/gc-service.ts): the quota, and holding its writes. */
export interface ImportGuard {
  checkQuota(owner: string): Promise<void>;
  holds: { hold(store: BlockStore): { store: BlockStore; release(): void } };
}

/**
 * What every import does once its name is checked (`colony import` and the SSH console's):
 * the owner's quota, then `write` into the store through the collector's hold, so a gc
 * meanwhile keeps what it wrote; a sync, a last `stillWanted` (a caller that gave up gets no
 * name), then the name.
 */
export async function importAndName(
  o: { store: BlockStore; catalog: Catalog; guard: ImportGuard | undefined; owner: string; name: string; comment: string; stillWanted: () => void },
  write: (store: BlockStore) => Promise<ImportResult>,
): Promise<{ result: ImportResult; record: NameRecord }> {
  await o.guard?.checkQuota(o.owner);
  const held = o.guard?.holds.hold(o.store);
  try {
    const result = await write(held?.store ?? o.store);
    await o.store.sync();
    o.stillWanted();
    return { result, record: await o.catalog.registerName({ owner: o.owner, name: o.name, root: result.root, comment: o.comment }) };
  } finally {
    held?.release();
  }
}

const gone = () => new ColonyError('COLONY_IO', 'the client went away before the import finished; nothing was saved');

export function snapshotTransfer(o: SnapshotTransferOptions): SnapshotTransfer {
  const { store, catalog, log } = o;
  return {
    async importTar(owner: string, name: string, input: AsyncIterable<Buffer>, { signal }: { signal: AbortSignal }): Promise<ConsoleReply> {
      refuseTakenName(catalog, owner, name);
      return o.busy('importing', async () => {
        const started = Date.now();
        const stillWanted = () => { if (signal.aborted) throw gone(); };
        const { result, record } = await importAndName({ store, catalog, guard: o.gc, owner, name, comment: '', stillWanted },
          (target) => importTar(target, input, { comment: '', onProgress: stillWanted }));
        const secs = (Date.now() - started) / 1000;
        const s = result.stats;
        log.info({ owner, name, root: formatScore(record.root), files: s.files, bytes: s.bytes }, 'snapshot imported over SSH');
        return {
          output: `imported ${owner}/${name} ${formatScore(record.root)}\n  ${s.files} files, ${s.dirs} directories, ${bytes(s.bytes)}; ${s.blocksWritten} new blocks; ${secs.toFixed(1)} s`,
          json: { name: record.name, owner, root: formatScore(record.root), stats: s, seconds: secs },
        };
      });
    },

    async exportTar(user: string, name: string, out: Writable): Promise<string> {
      // Names only (no raw scores as the local CLI takes): over SSH a user reads what they can see.
      checkName(name);
      const root = catalog.resolve(user, name).root;
      const stats = await exportTar(store, root, out);
      log.info({ user, name, files: stats.files, bytes: stats.bytes }, 'snapshot exported over SSH');
      // tar has no socket type: said on stderr, as `colony export NAME -` does.
      return stats.socketsSkipped > 0 ? `colony: ${stats.socketsSkipped} socket${stats.socketsSkipped === 1 ? '' : 's'} ignored (tar has no socket type)` : '';
    },
  };
}

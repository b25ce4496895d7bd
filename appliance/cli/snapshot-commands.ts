// `colony import`, `colony export` and `colony diff`: trees in and out of the store, under names.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { refuseTakenName } from '../catalog/index.js';
import { fromSystemError } from '../errors.js';
import { ensureDir } from '../files.js';
import { diff, exportDirectory, exportTar, importDirectory, importTar } from '../snapshot/index.js';
import { formatScore, isScoreText, parseScore, type Score } from '../store/index.js';
import type { Command } from './command.js';
import { callerPath, stillWanted, writeJson } from './command.js';
import { actingUser, withDataDir, type DataDir } from './data-dir.js';
import { formatBytes, progressCounter } from './format.js';
import { importAndName } from '../supervisor/snapshot-transfer.js';

const THROUGH = 'While a supervisor runs on the data directory, it runs inside the supervisor (paths are still yours).';
const userOption = { type: 'string' as const, arg: 'USER', help: 'act as USER (default: the first admin)' };

/** A name the user can see, or a raw score. */
function rootOf(d: DataDir, user: string, text: string): Score {
  return isScoreText(text) ? parseScore(text) : d.catalog.resolve(user, text).root;
}

const importCommand: Command = {
  path: ['import'],
  supervisor: 'forward',
  summary: 'Import a directory or a tarball as a new, immutable named snapshot.',
  params: 'SRC NAME',
  arity: [2, 2],
  json: true,
  options: { user: userOption, comment: { type: 'string', arg: 'TEXT', help: 'a comment kept with the snapshot' } },
  description: `SRC is a directory, a tar file (plain or gzip-compressed, detected by content), or - for a
tar stream on standard input. Everything is kept: modes (setuid, sticky), owners, nanosecond
mtimes, symlinks, hard links, device nodes, FIFOs, sockets and xattrs. Nothing is registered unless
the whole import succeeds. Re-importing an unchanged directory reads only what changed.
${THROUGH}`,
  async run(ctx) {
    const [given, name] = ctx.args as [string, string];
    const src = given === '-' ? given : callerPath(ctx, given);
    return withDataDir(ctx, async (d) => {
      const owner = actingUser(ctx.values, d);
      refuseTakenName(d.catalog, owner, name);
      const meter = progressCounter(ctx.err, `importing ${name}`);
      const comment = typeof ctx.values.comment === 'string' ? ctx.values.comment : '';
      const onProgress = (p: { bytes: number; files: number }) => { stillWanted(ctx); meter.update(p.bytes, p.files); };
      const started = Date.now();
      // Inside a supervisor (ctx.daemon) its quotas apply, and a gc meanwhile keeps what this import wrote.
      const { result, record } = await importAndName(
        { store: d.store, catalog: d.catalog, guard: ctx.daemon?.imports, owner, name, comment, stillWanted: () => stillWanted(ctx) },
        async (store) => {
          const isDir = src !== '-' && (await stat(src).catch((err) => { throw fromSystemError(err, `reading ${src}`); })).isDirectory();
          let imported;
          if (isDir) {
            const cache = join(ctx.data, 'import-cache', createHash('sha256').update(src).digest('hex').slice(0, 32));
            await ensureDir(join(ctx.data, 'import-cache'));
            imported = await importDirectory(store, src, { comment, onProgress, cache });
          } else {
            const input = src === '-' ? ctx.stdin : createReadStream(src);
            imported = await importTar(store, input as AsyncIterable<Buffer>, { comment, onProgress });
          }
          meter.done();
          return imported;
        },
      );
      const secs = (Date.now() - started) / 1000;
      if (ctx.json) { writeJson(ctx.out, { name: record.name, owner, root: formatScore(record.root), stats: result.stats, seconds: secs }); return 0; }
      const s = result.stats;
      ctx.out.write(`imported ${owner}/${name} ${formatScore(record.root)}\n`);
      ctx.out.write(`  ${s.files} files, ${s.dirs} directories, ${formatBytes(s.bytes)}; ${s.blocksWritten} new blocks; ${secs.toFixed(1)} s\n`);
      return 0;
    });
  },
};

const exportCommand: Command = {
  path: ['export'],
  supervisor: 'forward',
  summary: 'Write a snapshot out as a directory or a tar stream.',
  params: 'NAME DEST',
  arity: [2, 2],
  json: true,
  options: {
    user: userOption,
    force: { type: 'boolean', help: 'export into a non-empty directory, replacing what is in the way' },
    tar: { type: 'boolean', help: 'write a tar file at DEST even if its name does not end in .tar' },
  },
  description: `NAME is a name you can see (or a score, b3:…). DEST is a directory (created if missing;
refused when not empty unless --force), a file ending in .tar, or - for a tar stream on
standard output. As root, owners are restored. Symlinks in the snapshot are never followed.
A tar has no socket type: sockets are left out of it, and counted on standard error.
${THROUGH}`,
  async run(ctx) {
    const [name, given] = ctx.args as [string, string];
    const dest = given === '-' ? given : callerPath(ctx, given);
    return withDataDir(ctx, async (d) => {
      const root = rootOf(d, actingUser(ctx.values, d), name);
      const meter = progressCounter(ctx.err, `exporting ${name}`);
      const onProgress = (p: { bytes: number; files: number }) => { stillWanted(ctx); meter.update(p.bytes, p.files); };
      let stats;
      if (dest === '-' || dest.endsWith('.tar') || ctx.values.tar === true) {
        const out = dest === '-' ? ctx.out : createWriteStream(dest, { flags: ctx.values.force ? 'w' : 'wx' });
        stats = await exportTar(d.store, root, out as NodeJS.WritableStream as import('node:stream').Writable, { onProgress });
        if (dest !== '-') { (out as import('node:fs').WriteStream).end(); await finished(out as import('node:fs').WriteStream); }
      } else {
        stats = await exportDirectory(d.store, root, dest, { onProgress, force: ctx.values.force === true });
      }
      meter.done();
      if (ctx.json) writeJson(dest === '-' ? ctx.err : ctx.out, { name, root: formatScore(root), dest: given, ...stats });
      else if (dest !== '-') ctx.out.write(`exported ${name} to ${given}: ${stats.files} files, ${stats.dirs} directories, ${formatBytes(stats.bytes)}\n`);
      // tar has no socket type: say so even when the archive went to standard output.
      if (!ctx.json && stats.socketsSkipped > 0) ctx.err.write(`colony: ${stats.socketsSkipped} socket${stats.socketsSkipped === 1 ? '' : 's'} ignored (tar has no socket type)\n`);
      return 0;
    });
  },
};

const diffCommand: Command = {
  path: ['diff'],
  supervisor: 'forward',
  summary: 'List the paths that differ between two snapshots.',
  params: 'A B',
  arity: [2, 2],
  json: true,
  options: { user: userOption },
  description: `A and B are names you can see, or scores. Lines are "+ path" (added), "- path" (removed)
and "M path" (content or attributes changed). Identical subtrees are skipped without reading them.`,
  async run(ctx) {
    const [a, b] = ctx.args as [string, string];
    return withDataDir(ctx, async (d) => {
      const user = actingUser(ctx.values, d);
      const changes = await diff(d.store, rootOf(d, user, a), rootOf(d, user, b));
      const mark = { added: '+', removed: '-', modified: 'M' } as const;
      if (ctx.json) writeJson(ctx.out, changes.map((c) => ({ path: c.path.toString(), kind: c.kind })));
      else for (const c of changes) ctx.out.write(`${mark[c.kind]} ${c.path.length ? c.path.toString() : '.'}\n`);
      return 0;
    });
  },
};

export const snapshotCommands: Command[] = [importCommand, exportCommand, diffCommand];

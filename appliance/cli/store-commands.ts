// `colony store …`: the block store by hand. While a supervisor holds the data directory
// they run inside it (main.ts forwards them), except reindex, which needs the store alone.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError, isColonyError, tooLarge } from '../errors.js';
import { consoleLog } from '../log.js';
import { BlockStore, formatScore, parseScore } from '../store/index.js';
import type { Command, CommandContext } from './command.js';
import { callerPath, stillWanted, writeJson } from './command.js';
import { formatBytes, progressLine } from './format.js';

export const storeDir = (data: string) => join(data, 'store');

export async function withStore<T>(ctx: CommandContext, fn: (store: BlockStore) => Promise<T>): Promise<T> {
  if (ctx.daemon) return fn(ctx.daemon.store); // the supervisor's, open and shared
  const store = await BlockStore.open(storeDir(ctx.data), { log: consoleLog(ctx.err) });
  try { return await fn(store); } finally { await store.close(); }
}

async function readInput(ctx: CommandContext, path: string, limit: number): Promise<Buffer> {
  const stdin = ctx.stdin;
  if (path !== '-') {
    return readFile(callerPath(ctx, path)).catch((err) => { throw fromSystemError(err, `reading ${path}`); });
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of stdin) {
    n += (chunk as Buffer).length;
    if (n > limit) throw tooLarge(`standard input is over the block size limit of ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const put: Command = {
  path: ['store', 'put'],
  supervisor: 'forward',
  summary: 'Store each FILE as one block and print its score.',
  params: 'FILE...',
  arity: [1, Infinity],
  json: true,
  description: `Use - for standard input. A file larger than the block size limit (1 MiB) is refused;
whole trees go in with 'colony import'. Blocks the store already has are not written again.
The blocks are synced to stable storage before the command returns.`,
  options: { type: { type: 'string', arg: 'N', help: 'block type, 0..254 (default 0)' } },
  async run(ctx) {
    const type = ctx.values.type === undefined ? 0 : Number(ctx.values.type);
    return withStore(ctx, async (store) => {
      const results: Array<{ file: string; score?: string; bytes?: number; error?: string }> = [];
      for (const file of ctx.args) {
        try {
          const data = await readInput(ctx, file, store.maxBlockBytes);
          if (data.length > store.maxBlockBytes) throw tooLarge(`${file} is ${data.length} bytes, over the block size limit of ${store.maxBlockBytes}`);
          results.push({ file, score: formatScore(await store.put(type, data)), bytes: data.length });
        } catch (err) {
          if (!isColonyError(err) || err.code === 'COLONY_INVALID') throw err;
          results.push({ file, error: err.message });
        }
      }
      await store.sync();
      if (ctx.json) writeJson(ctx.out, results);
      for (const r of results) {
        if (r.error) ctx.err.write(`colony: ${r.error}\n`);
        else if (!ctx.json) ctx.out.write(`${r.score}\t${r.file}\n`);
      }
      return results.some((r) => r.error) ? 1 : 0;
    });
  },
};

const get: Command = {
  path: ['store', 'get'],
  supervisor: 'forward',
  summary: 'Write the block named SCORE to standard output (or --output FILE).',
  params: 'SCORE',
  arity: [1, 1],
  description: 'The bytes are checked against the score first; a corrupt block is an error and nothing is written.',
  options: { output: { type: 'string', short: 'o', arg: 'FILE', help: 'write to FILE instead of standard output' } },
  async run(ctx) {
    const score = parseScore(ctx.args[0]!);
    const data = await withStore(ctx, (store) => store.get(score));
    if (typeof ctx.values.output === 'string') await writeFile(callerPath(ctx, ctx.values.output), data);
    else ctx.out.write(data);
    return 0;
  },
};

const stats: Command = {
  path: ['store', 'stats'],
  supervisor: 'forward',
  summary: 'Show what the store holds and how it is set up.',
  json: true,
  async run(ctx) {
    const s = await withStore(ctx, (store) => store.stats());
    if (ctx.json) { writeJson(ctx.out, { dir: storeDir(ctx.data), ...s }); return 0; }
    ctx.out.write([
      `store        ${storeDir(ctx.data)}`,
      `blocks       ${s.blocks} (${formatBytes(s.bytes)} of data)`,
      `on disk      ${formatBytes(s.diskBytes)} in ${s.arenas} arena(s), ${s.sealedArenas} sealed`,
      `arena size   ${formatBytes(s.arenaBytes)}`,
      `block limit  ${formatBytes(s.maxBlockBytes)}`,
      `log position ${s.logPosition} (durable through ${s.durablePosition})`,
      `hash         BLAKE3, ${s.hash} backend`,
    ].join('\n') + '\n');
    return 0;
  },
};

const verify: Command = {
  path: ['store', 'verify'],
  supervisor: 'forward',
  summary: 'Read every block and check it against its score; check the index against the arenas.',
  json: true,
  description: 'Exits 1 if anything is wrong. It repairs nothing; see docs/store.md for what to do.',
  async run(ctx) {
    const meter = progressLine(ctx.err, 'verifying');
    const r = await withStore(ctx, (store) => store.verify((p) => { stillWanted(ctx); meter.update(p.bytesDone, p.bytesTotal); }));
    meter.done();
    if (ctx.json) { writeJson(ctx.out, r); return r.ok ? 0 : 1; }
    ctx.out.write(`${r.records} blocks, ${formatBytes(r.bytes)} in ${r.arenas} arena(s): ${r.ok ? 'all verified' : 'PROBLEMS FOUND'}\n`);
    for (const c of r.corrupt) ctx.out.write(`corrupt   ${c.score} in arena ${c.arena} at offset ${c.offset}\n`);
    for (const d of r.damaged) ctx.out.write(`damaged   arena ${d.arena} from offset ${d.offset}: ${d.reason}\n`);
    for (const d of r.dangling) ctx.out.write(`dangling  index entry ${d.score} points at log position ${d.pos}\n`);
    if (r.unindexed) ctx.out.write(`unindexed ${r.unindexed} block(s) missing from the index (run 'colony store reindex')\n`);
    return r.ok ? 0 : 1;
  },
};

const reindex: Command = {
  path: ['store', 'reindex'],
  supervisor: 'refuse',
  refusal: 'store reindex needs the store to itself: stop the supervisor first',
  summary: 'Delete the index and rebuild it from the arenas alone.',
  description: 'Safe at any time the supervisor is stopped (it refuses while one runs): the arenas are the truth and are only read.',
  async run(ctx) {
    const store = await BlockStore.reindex(storeDir(ctx.data), { log: consoleLog(ctx.err, 'info') });
    const s = await store.stats();
    await store.close();
    ctx.out.write(`reindexed ${s.blocks} blocks (${formatBytes(s.bytes)}) from ${s.arenas} arena(s)\n`);
    return 0;
  },
};

export const storeCommands: Command[] = [put, get, stats, verify, reindex];

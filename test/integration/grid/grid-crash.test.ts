// A supervisor killed with SIGKILL while a disk environment writes loses nothing the client
// fsynced, and its disk cache comes back from the slot journal, checked block by block.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { Grid } from '../../../appliance/grid/index.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { childEnv, tsLoader } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';
import { CHUNK, CRASH_LIMITS, chunkOf } from './crash-child.js';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Runs the child until it has printed `synced N` with N ≥ atLeast; resolves with the largest N seen. */
function runUntilSynced(data: string, atLeast: number): Promise<{ proc: ChildProcess; synced: () => number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...tsLoader, child, data], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, env: childEnv() });
    let synced = 0;
    let buf = '';
    let err = '';
    let done = false;
    proc.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('synced ')) synced = Math.max(synced, Number(l.slice(7)));
      if (!done && synced >= atLeast) { done = true; resolve({ proc, synced: () => synced }); }
    });
    proc.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
    proc.on('exit', (code, signal) => { if (!done) { done = true; reject(new Error(`child ended early (${code ?? signal}): ${err}`)); } });
  });
}

const killed = (proc: ChildProcess) => new Promise<void>((resolve) => { proc.on('exit', () => resolve()); proc.kill('SIGKILL'); });

async function openAll(data: string) {
  const store = await BlockStore.open(join(data, 'store'));
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: 'node-a', scrypt: fastScrypt });
  const grid = await Grid.open({ data, store, catalog, limits: CRASH_LIMITS });
  return { store, catalog, grid, async close() { await grid.close(); await catalog.close(); await store.close(); } };
}

t.test('SIGKILL while a disk environment writes: every fsynced byte survives, and the disk cache too', async (t) => {
  const data = await tmpDir(t);
  {
    const src = join(await tmpDir(t), 'tree');
    await mkdir(src);
    await writeFile(join(src, 'hello.txt'), 'hello\n');
    const all = await openAll(data);
    await all.catalog.addUser({ name: 'alice', role: 'user' });
    const { root } = await importDirectory(all.store, src, { xattrs: false });
    await all.catalog.registerName({ owner: 'alice', name: 'debian', root });
    await all.grid.spawn('alice', 'debian', { cache: 'disk', as: 'work' });
    await all.close();
  }
  let fsynced = 0;
  for (const [round, more] of [[1, 48], [2, 64]] as const) {
    const { proc, synced } = await runUntilSynced(data, fsynced + more);
    await killed(proc);
    fsynced = synced();
    const all = await openAll(data);
    const vol = all.grid.environment('alice', 'work').volume;
    // Optional calls, so that code without a tier fails on what it does, not on a missing method.
    const tier = all.grid.tierOf?.('work');
    t.ok((tier?.stats().restored ?? 0) > 0, `round ${round}: the disk cache came back with ${tier?.stats().restored} blocks`);
    const node = await vol.resolvePath('log.bin');
    const { size } = await vol.getattr(node.ino);
    t.ok(size >= fsynced * CHUNK, `round ${round}: ${size / CHUNK} chunks there, ${fsynced} fsynced`);
    const bad: number[] = [];
    for (let i = 0; i < fsynced && bad.length < 5; i++) if (!(await vol.read(node.ino, i * CHUNK, CHUNK)).equals(chunkOf(i))) bad.push(i);
    t.same(bad, [], `round ${round}: every fsynced chunk reads back as written`);
    const s = tier?.stats() ?? { hitBytes: 0, corrupt: 0 };
    t.ok(s.hitBytes > 0, `round ${round}: ${s.hitBytes} bytes came from the disk cache, ${vol.stats().bytesFetched} from the store`);
    t.equal(s.corrupt, 0, `round ${round}: no cached block failed its check`);
    // Leave the file at what was fsynced for the next round (the child appends from its size).
    await all.close();
  }
});

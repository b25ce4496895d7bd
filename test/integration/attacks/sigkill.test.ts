// SIGKILL during imports and saves (issue 12, "keep what held"). Writes are kept by
// store/store-crash.test.ts (puts and syncs, 50 rounds), grid/grid-crash.test.ts (a disk
// environment writing, fsynced bytes survive) and catalog/crash.test.ts (acknowledged
// events). This file kills the real `colony` processes in the middle of the two operations
// that publish a name: `colony import -` with half a tarball read, and `colony serve` with a
// `save` under way. Afterwards the store verifies, everything acknowledged before is intact,
// and a name is either absent or whole, never half there.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { isColonyError } from '../../../appliance/errors.js';
import { L_O_RDWR, NinepClient } from '../../../appliance/ninep/index.js';
import { exportDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { nodeIdOf } from '../../../appliance/supervisor/node-id.js';
import { childEnv, cliEntry, repoRoot, runCli, tsLoader } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { preparedData } from '../supervisor/seeded-supervisor.js';
import { serve, waitForHealth } from '../supervisor/serve-helpers.js';
import { ustarHeader } from './ustar.js';

const MiB = 2 ** 20;

/** Bytes in the store's arenas: it grows as blocks are written. */
async function arenaBytes(storeDir: string): Promise<number> {
  let n = 0;
  const dir = join(storeDir, 'arenas');
  for (const f of await readdir(dir).catch(() => [] as string[])) if (/^arena-\d+\.dat$/.test(f)) n += (await stat(join(dir, f))).size;
  return n;
}

/** Waits (bounded: 60 s) until `cond` holds; fails early if `dead` does. */
async function until(cond: () => Promise<boolean>, dead: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await cond()) return;
    if (dead()) throw new Error(`the child ended before ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** 1 MiB chunks whose every 64 KiB block is unique, so that each one is a new block in the store. */
const seed = randomBytes(MiB);
function chunk(i: number): Buffer {
  const b = Buffer.from(seed);
  for (let j = 0; j < 16; j++) b.writeUInt32LE(i * 16 + j, j * 65536);
  return b;
}

const smallTar = Buffer.concat([ustarHeader('./hello', 6), Buffer.from('hello\n'), Buffer.alloc(506), Buffer.alloc(1024)]);

async function openData(data: string) {
  const store = await BlockStore.open(join(data, 'store'));
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: await nodeIdOf(data) });
  return { store, catalog, async close() { await catalog.close(); await store.close(); } };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('colony import - killed with half the tarball read: the store verifies and no name is left', { timeout: 120_000 }, async (t) => {
  const base = await tmpDir(t);
  const data = join(base, 'var');
  const env = { COLONY_DATA: data };
  const first = await runCli(['import', '-', 'before'], { env, input: smallTar });
  t.equal(first.code, 0, `an acknowledged import first: ${first.stderr}`);
  const storeDir = join(data, 'store');
  const start = await arenaBytes(storeDir);

  const proc = spawn(process.execPath, [...tsLoader, cliEntry, 'import', '-', 'big'], { cwd: repoRoot, env: childEnv(env), stdio: ['pipe', 'ignore', 'pipe'], timeout: 120_000 });
  let stderr = '';
  proc.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  proc.stdin.on('error', () => {});
  const exited = new Promise<NodeJS.Signals | number | null>((r) => proc.on('close', (code, signal) => r(signal ?? code)));
  // A 256 MiB file of which 32 MiB is sent; stdin stays open, so the import waits mid-file.
  proc.stdin.write(ustarHeader('./big', 256 * MiB));
  for (let i = 0; i < 32; i++) if (!proc.stdin.write(chunk(i))) await new Promise((r) => proc.stdin.once('drain', r));
  await until(async () => (await arenaBytes(storeDir)) >= start + 8 * MiB, () => proc.exitCode !== null, `8 MiB of blocks in the store: ${stderr}`);
  proc.kill('SIGKILL');
  t.equal(await exited, 'SIGKILL', 'killed mid-import');

  const d = await openData(data);
  try {
    const report = await d.store.verify();
    t.ok(report.ok, `the store verifies after the kill: ${JSON.stringify({ ...report, corrupt: report.corrupt.length })}`);
    t.throws(() => d.catalog.getName('admin', 'big'), { code: 'COLONY_NOT_FOUND' }, 'the killed import left no name');
    const before = d.catalog.getName('admin', 'before');
    const out = join(base, 'out');
    await exportDirectory(d.store, before.root, out);
    t.equal(await readFile(join(out, 'hello'), 'utf8'), 'hello\n', 'the acknowledged import is intact');
  } finally {
    await d.close();
  }
});

t.test('colony serve killed during a save: the last acknowledged save is whole, the killed one absent or whole', { timeout: 120_000 }, async (t) => {
  const data = await preparedData(t);
  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  const unix = join(data, '9p.sock');
  const ctl = await NinepClient.connect(unix);
  t.teardown(() => ctl.close());
  const { fid: ctlRoot } = await ctl.attach('ctl', 'admin');
  /** Writes a line to ctl; resolves with the reply (or rejects with the command's error). */
  const command = async (line: string) => {
    const f = await ctl.walkPath(ctlRoot, 'ctl');
    try {
      await ctl.open(f, L_O_RDWR);
      await ctl.write(f, 0, Buffer.from(line));
      return (await ctl.readAll(f)).toString();
    } finally { await ctl.clunk(f).catch(() => {}); }
  };
  t.match(await command('spawn deb'), /spawned deb/);
  const c = await NinepClient.connect(unix);
  t.teardown(() => c.close());
  const { fid: root } = await c.attach('env/deb', 'admin');
  const writeFile = async (name: string, from: number, chunks: number) => {
    const f = await c.walk(root, []);
    await c.lcreate(f.fid, name, L_O_RDWR, 0o644);
    const parts: Buffer[] = [];
    for (let i = 0; i < chunks; i++) { const b = chunk(from + i); parts.push(b); await c.write(f.fid, i * MiB, b); }
    await c.clunk(f.fid);
    return sha(Buffer.concat(parts));
  };
  const keptHash = await writeFile('one', 1000, 16);
  t.match(await command('save deb kept'), /saved deb as admin\/kept/, 'an acknowledged save');
  const midHash = await writeFile('two', 2000, 32);

  const storeDir = join(data, 'store');
  const start = await arenaBytes(storeDir);
  const saving = command('save deb mid').then((r) => `replied: ${r}`, (err: Error) => `failed: ${err.message}`);
  let replied = false;
  void saving.then(() => { replied = true; });
  // Kill once the save has written some blocks (or, on a fast machine, has already replied).
  await until(async () => replied || (await arenaBytes(storeDir)) >= start + 2 * MiB, () => s.proc.exitCode !== null, 'the save to start writing');
  const repliedFirst = replied;
  s.proc.kill('SIGKILL');
  t.equal(await s.exited, 'SIGKILL', 'killed');
  const outcome = await saving;
  t.comment(`the kill came ${repliedFirst ? `after the save ${outcome}` : 'during the save'}; ${(((await arenaBytes(storeDir)) - start) / MiB).toFixed(1)} MiB written by then`);

  const d = await openData(data);
  let midThere = false;
  try {
    const report = await d.store.verify();
    t.ok(report.ok, `the store verifies after the kill: ${JSON.stringify({ ...report, corrupt: report.corrupt.length })}`);
    const kept = d.catalog.getName('admin', 'kept');
    const out1 = join(await tmpDir(t), 'kept');
    await exportDirectory(d.store, kept.root, out1);
    t.equal(sha(await readFile(join(out1, 'one'))), keptHash, 'the acknowledged save is whole');
    let mid;
    try { mid = d.catalog.getName('admin', 'mid'); } catch (err) { if (!isColonyError(err, 'COLONY_NOT_FOUND')) throw err; }
    midThere = mid !== undefined;
    if (mid) {
      const out2 = join(await tmpDir(t), 'mid');
      await exportDirectory(d.store, mid.root, out2);
      t.equal(sha(await readFile(join(out2, 'two'))), midHash, 'the killed save got its name, and it is whole');
    } else {
      t.notOk(repliedFirst && outcome.startsWith('replied: saved'), 'a save that replied "saved" kept its name');
      t.pass('the killed save left no name');
    }
  } finally {
    await d.close();
  }
  t.comment(`the killed save's name is ${midThere ? 'there, whole' : 'absent'}`);
  // The supervisor comes back on the same data.
  const again = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', again);
  again.proc.kill('SIGTERM');
  t.equal(await again.exited, 0, 'and stops cleanly');
});

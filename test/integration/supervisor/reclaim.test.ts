// Issue 18 through a real `colony serve`: imports, a quota that refuses, forget, gc --dry-run
// and gc giving the space back (live names still export byte-exact), usage, and the store's
// disk reserve refusing new blocks and making the node degraded.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { serveChild } from '../cli/serve-child.js';

const MiB = 1 << 20;
const colony = (data: string, ...args: string[]) => runCli([...args, '--data', data], { timeoutMs: 120_000 });

async function tree(dir: string, bytes: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; bytes > 0; i++, bytes -= MiB) await writeFile(join(dir, `f${i}`), randomBytes(Math.min(MiB, bytes)));
  return dir;
}

/** What the arenas take on disk: allocated blocks, since gc frees garbage with holes. */
async function arenaBytes(data: string): Promise<number> {
  const dir = join(data, 'store', 'arenas');
  let n = 0;
  for (const f of await readdir(dir)) { const st = await stat(join(dir, f)); n += Math.min(st.size, st.blocks * 512); }
  return n;
}

async function serveWith(t: Parameters<typeof serveChild>[0], config: unknown) {
  const data = await tmpDir(t);
  const file = join(await tmpDir(t), 'colony.json');
  await writeFile(file, JSON.stringify(config));
  await serveChild(t, data, ['--config', file]);
  return data;
}

t.test('quota, forget, gc and usage through the supervisor', async (t) => {
  const data = await serveWith(t, { store: { arenaBytes: 4 * MiB, reserveBytes: 0 }, gc: { intervalHours: 0 }, quota: { defaultBytes: 10 * MiB } });
  const src = await tmpDir(t);
  const keep = await tree(join(src, 'keep'), 6 * MiB);
  for (const [dir, name] of [[keep, 'keep'], [await tree(join(src, 'drop'), 6 * MiB), 'drop']] as const) {
    const r = await colony(data, 'import', dir, name);
    t.equal(r.code, 0, r.stderr);
  }
  const refused = await colony(data, 'import', await tree(join(src, 'more'), MiB), 'more');
  t.equal(refused.code, 1, 'admin holds 12 MiB of a 10 MiB quota');
  t.match(refused.stderr, /COLONY_QUOTA: admin holds 12\.\d MiB and the quota is 10\.0 MiB: forget names/);

  const usage = await colony(data, 'usage', '--json');
  t.equal(usage.code, 0, usage.stderr);
  const row = (JSON.parse(usage.stdout.toString()) as { result?: unknown; users?: unknown }) as { users: Array<{ user: string; bytes: number; names: number; quotaBytes?: number }> };
  const admin = row.users.find((u) => u.user === 'admin');
  t.ok(admin && admin.bytes > 12 * MiB && admin.bytes < 13 * MiB, `usage counts both trees (${admin?.bytes})`);
  t.equal(admin?.quotaBytes, 10 * MiB);

  t.equal((await colony(data, 'forget', 'drop')).code, 0);
  const before = await arenaBytes(data);
  const plan = await colony(data, 'gc', '--dry-run', '--json');
  t.equal(plan.code, 0, plan.stderr);
  const planned = JSON.parse(plan.stdout.toString()) as { dryRun: boolean; bytesToFree: number };
  t.ok(planned.dryRun && planned.bytesToFree > 4 * MiB, `the plan frees most of the forgotten tree (${planned.bytesToFree})`);
  t.equal(await arenaBytes(data), before, 'a dry run changes nothing');

  const run = await colony(data, 'gc');
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout.toString(), /freed/);
  const after = await arenaBytes(data);
  t.ok(before - after > 4 * MiB, `the arenas shrank by ${((before - after) / MiB).toFixed(1)} MiB`);

  const out = join(src, 'out');
  const exported = await colony(data, 'export', 'keep', out);
  t.equal(exported.code, 0, exported.stderr);
  for (let i = 0; i < 6; i++) t.ok((await readFile(join(out, `f${i}`))).equals(await readFile(join(keep, `f${i}`))), `keep/f${i} byte-exact after gc`);

  const again = await colony(data, 'import', join(src, 'more'), 'more');
  t.equal(again.code, 0, `under the quota again after forget: ${again.stderr}`);
});

t.test('the store reserve refuses new blocks and makes the node degraded', async (t) => {
  const data = await serveWith(t, { store: { reserveBytes: 2 ** 50 } });
  const src = await tree(join(await tmpDir(t), 'a'), MiB);
  const r = await colony(data, 'import', src, 'a');
  t.equal(r.code, 1);
  t.match(r.stderr, /COLONY_NO_SPACE: the store keeps [\d.]+ \w?iB free on this disk \(free now: [^)]*\); free space or lower store.reserveBytes/);
  const scores = await colony(data, 'scores', '--json');
  t.same(JSON.parse(scores.stdout.toString()), [], 'nothing was named');
  let health = { state: '', reason: '' };
  for (let i = 0; i < 100 && health.state !== 'degraded'; i++) {
    health = JSON.parse(await readFile(join(data, 'health.json'), 'utf8')) as typeof health;
    if (health.state !== 'degraded') await new Promise((res) => setTimeout(res, 100));
  }
  t.equal(health.state, 'degraded');
  t.match(JSON.stringify(health), /store: .* free, below the reserve of .*: new blocks are refused/);
});

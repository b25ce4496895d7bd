// Ten real supervisors on a private LAN of network namespaces (not in CI; as root):
// pairs them (star: node 1 with every other, both sides; or ring: each with the next),
// waits until every node is connected to every other (pairing records replicate, so a star
// or a ring becomes a mesh), imports one random tree on node 1, and reports when each node
// showed the name (its closure local) and the bytes each received on its eth0.
//
//   node --import tsx scripts/grid-10.ts [--nodes 10] [--topology star|ring] [--small 300] [--big 6]
// Everything started is stopped by PID, and the namespaces removed, on exit or Ctrl-C.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connected, lanUnavailable, pairBoth, peersOf, startGrid, until, type GridNode } from '../test/system/fixtures/grid.js';
import { treeBytes, writeTree } from '../test/system/fixtures/tree.js';

const { values } = parseArgs({ options: {
  nodes: { type: 'string', default: '10' }, topology: { type: 'string', default: 'star' },
  small: { type: 'string', default: '300' }, big: { type: 'string', default: '6' },
} });
const count = Number(values.nodes);
if (!Number.isInteger(count) || count < 2 || count > 50) throw new Error('--nodes: 2 to 50');
if (values.topology !== 'star' && values.topology !== 'ring') throw new Error('--topology: star or ring');

/** A teardown stack run once, in reverse: supervisors by PID, then the namespaces. */
const fns: Array<() => unknown> = [];
let cleaning: Promise<void> | undefined;
const cleanup = () => (cleaning ??= (async () => { for (const fn of fns.splice(0).reverse()) { try { await fn(); } catch (err) { console.error('cleanup:', (err as Error).message); } } })());
process.once('SIGINT', () => { void cleanup().then(() => process.exit(130)); });
process.once('SIGTERM', () => { void cleanup().then(() => process.exit(143)); });

const secs = (ms: number) => (ms / 1000).toFixed(1);
const mb = (n: number) => (n / 1e6).toFixed(1);

async function main(): Promise<void> {
  const why = lanUnavailable();
  if (why) throw new Error(why);
  const t = { teardown: (fn: () => unknown) => { fns.push(fn); } };
  const scratch = await mkdtemp(join(tmpdir(), 'colony-grid10-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const src = join(scratch, 'src');
  await mkdir(src);
  const tree = await writeTree(src, { small: Number(values.small), big: Number(values.big), seed: 10 });
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  let at = Date.now();
  const grid = await startGrid(t, names, { parallel: 3 });
  console.log(`${count} supervisors ready in ${secs(Date.now() - at)} s; tree ${tree.size} files, ${mb(treeBytes(tree))} MB`);

  const nodes = grid.nodes;
  const first = nodes[0]!;
  at = Date.now();
  if (values.topology === 'star') for (const n of nodes.slice(1)) await pairBoth(first, n);
  else for (let i = 0; i < count; i++) await pairBoth(nodes[i]!, nodes[(i + 1) % count]!);
  const pairs: Array<[GridNode, GridNode]> = nodes.flatMap((a, i) => nodes.slice(i + 1).map((b): [GridNode, GridNode] => [a, b]));
  await Promise.all(pairs.map(([a, b]) => connected(a, b, 180_000)));
  console.log(`${values.topology}: all ${pairs.length} pairs connected ${secs(Date.now() - at)} s after the first pair command (pairing records replicated)`);

  const rx0 = nodes.map((n) => n.rxBytes());
  const shownAt = new Map<string, number>();
  const started = Date.now();
  const imported = await first.exec(['import', src, 'tree', '--json']);
  if (imported.code !== 0) throw new Error(`import: ${imported.err}`);
  const importMs = Date.now() - started;
  shownAt.set(first.name, importMs);
  await until('every node shows admin/tree', async () => {
    await Promise.all(nodes.filter((n) => !shownAt.has(n.name)).map(async (n) => {
      if ((await n.shown()).has('admin/tree')) shownAt.set(n.name, Date.now() - started);
    }));
    return shownAt.size === count;
  }, { timeoutMs: 600_000, everyMs: 200 });
  const total = Math.max(...shownAt.values());
  console.log(`import on ${first.name} took ${secs(importMs)} s; every node showed admin/tree ${secs(total)} s after the import began`);
  console.log('node  shown(s)  received(MB)  peers connected');
  let sum = 0;
  for (const [i, n] of nodes.entries()) {
    const rx = n.rxBytes() - rx0[i]!;
    sum += rx;
    const up = (await peersOf(n)).filter((r) => r.state === 'connected').length;
    console.log(`${n.name.padEnd(5)} ${secs(shownAt.get(n.name)!).padStart(8)}  ${mb(rx).padStart(12)}  ${up}`);
  }
  console.log(`received on all eth0s: ${mb(sum)} MB for a ${mb(treeBytes(tree))} MB tree to ${count - 1} nodes (${(sum / (treeBytes(tree) * (count - 1))).toFixed(2)}x the tree per receiving node)`);
}

main().then(() => cleanup(), async (err: unknown) => { console.error((err as Error).message); await cleanup(); process.exitCode = 1; });

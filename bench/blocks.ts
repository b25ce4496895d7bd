// bench/blocks: /colony/blocks/1 replication A→B between two peer nodes in this process on
// loopback, against copying the same store directory with fs.cp, measured in one run.
// N bytes of 64 KiB random blocks (COLONY_BENCH_BYTES, default 64 MiB); COLONY_BENCH_ROUNDS
// rounds (default 3), each into a fresh B. Run: node --import tsx bench/blocks.ts
import { randomFillSync } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateIdentity } from '../appliance/identity/index.js';
import type { Log } from '../appliance/log.js';
import { Membership, startBlockReplication, startPeerNode } from '../appliance/peer/index.js';
import { BlockStore, type Score } from '../appliance/store/index.js';

const BLOCK = 64 << 10;
const total = Number(process.env.COLONY_BENCH_BYTES ?? 64 << 20);
const rounds = Number(process.env.COLONY_BENCH_ROUNDS ?? 3);
const count = Math.floor(total / BLOCK);
const bytes = count * BLOCK;
const mbs = (n: number, ms: number) => n / 1e6 / (ms / 1000);
const identityAt = async (dir: string) => { await mkdir(dir, { recursive: true }); return loadOrCreateIdentity(dir); };
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

async function main() {
  const root = await mkdtemp(join(process.env.COLONY_BENCH_DIR ?? tmpdir(), 'colony-bench-blocks-'));
  try {
    const a = await BlockStore.open(join(root, 'a-store'));
    const scores: Score[] = [];
    const buf = Buffer.allocUnsafe(BLOCK);
    for (let i = 0; i < count; i++) { randomFillSync(buf); scores.push(await a.put(1, buf)); }
    await a.sync();
    const membersA = new Membership();
    const nodeA = await startPeerNode({ identity: await identityAt(join(root, 'a')), listen: ['/ip4/127.0.0.1/tcp/0'], isMember: (id) => membersA.has(id), log: quiet });
    const ra = await startBlockReplication({ node: nodeA, store: a, cursorsPath: join(root, 'a', 'cursors.json'), log: quiet, peers: () => [] });
    for (let r = 0; r < rounds; r++) {
      const membersB = new Membership([nodeA.peerId]);
      const nodeB = await startPeerNode({ identity: await identityAt(join(root, `b${r}`)), listen: ['/ip4/127.0.0.1/tcp/0'], isMember: (id) => membersB.has(id), log: quiet });
      membersA.add(nodeB.peerId);
      await nodeB.dial(nodeA.peerId, nodeA.addresses());
      const b = await BlockStore.open(join(root, `b${r}-store`));
      const t0 = performance.now();
      const rb = await startBlockReplication({ node: nodeB, store: b, cursorsPath: join(root, `b${r}`, 'cursors.json'), log: quiet, peers: () => [nodeA.peerId] });
      // Bounded: one check per 20 ms, for at most 10 minutes.
      for (let i = 0; i < 30_000 && !(await b.hasMany(scores.slice(-1)))[0]; i++) await new Promise((res) => setTimeout(res, 20));
      await b.sync();
      const repMs = performance.now() - t0;
      const held = (await b.hasMany(scores)).filter(Boolean).length;
      await rb.stop();
      await b.close();
      await nodeB.stop();
      const t1 = performance.now();
      await cp(join(root, 'a-store'), join(root, `cp${r}`), { recursive: true });
      const cpMs = performance.now() - t1;
      process.stdout.write(`round ${r}: replicated ${held}/${count} blocks in ${repMs.toFixed(0)} ms = ${(held / (repMs / 1000)).toFixed(0)} blocks/s, ${mbs(bytes, repMs).toFixed(1)} MB/s; fs.cp ${mbs(bytes, cpMs).toFixed(1)} MB/s; ratio ${(cpMs / repMs).toFixed(2)}\n`);
      await rm(join(root, `cp${r}`), { recursive: true });
      await rm(join(root, `b${r}-store`), { recursive: true });
    }
    await ra.stop();
    await nodeA.stop();
    await a.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();

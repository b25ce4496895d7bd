// A full disk on the receiver, for real: B's store lives on a small tmpfs (mounted here, as
// root, as the store's own full-disk test does) with a filler file taking most of it. B
// replicates A's 12 MiB, runs out of room, and pauses: one warning however many retries,
// state 'paused: disk full', its saved cursor never past a block it does not hold. Then the
// filler is removed and the same receiver resumes by itself and converges, every block
// verified (B's store reopened and verified at the end).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { startBlockReplication } from '../../../appliance/peer/index.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { eventually, pair, site, type Site } from './blocks-helpers.js';

const opts = { arenaBytes: 1 << 20, maxBlockBytes: 64 << 10, writeBufferBytes: 256 << 10 };

t.test('a receiver whose disk fills pauses cleanly and resumes when space returns', async (t) => {
  const [a, b0] = [await site(t), await site(t)];
  await pair(a, b0);
  const scores = [];
  for (let i = 0; i < 200; i++) scores.push(await a.store.put(1, randomBytes(60 << 10)));
  await a.store.sync();

  const base = await tmpDir(t);
  const mnt = join(base, 'small');
  await mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mnt]); // needs root, as CI runs
  t.teardown(() => execFileSync('umount', ['-l', mnt]));
  await writeFile(join(mnt, 'filler'), Buffer.alloc(26 << 20, 1)); // leaves ~6 MiB
  const store = await BlockStore.open(join(mnt, 'store'), opts);
  let closed = false;
  t.teardown(() => (closed ? undefined : store.close().catch(() => {})));
  const b: Site = { ...b0, store };
  const cursorsPath = join(mnt, 'peer', 'cursors.json');
  const repl = await startBlockReplication({
    node: b.node, store, cursorsPath, log: b.log, peers: () => b.node.connectedPeers(),
    receiver: { pollMs: 600_000, backoffMinMs: 20, backoffMaxMs: 100, diskFullRetryMs: 100, pageLimit: 50, maxScores: 10 },
  });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : repl.stop()));
  const ra = await startBlockReplication({ node: a.node, store: a.store, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  const of = () => repl.stats().receivers[a.node.peerId];

  t.ok(await eventually(() => of()?.state === 'paused: disk full'), 'B paused');
  const sessions = of()!.sessions;
  t.ok(await eventually(() => of()!.sessions >= sessions + 3), 'and tried again at least three times');
  const paused = of()!;
  t.equal(paused.state, 'paused: disk full');
  t.equal(paused.diskFullPauses, 1);
  t.ok(paused.fetched > 0 && paused.fetched < 200, `${paused.fetched} blocks stored before the disk filled`);
  t.equal(paused.lastError?.code, 'COLONY_NO_SPACE');
  const warnings = b.logged.filter((l) => l.level === 'warn');
  t.equal(warnings.length, 1, 'one warning for the pause, not one per retry');
  t.match(warnings[0], { msg: /disk is full/ });
  t.notOk(b.logged.some((l) => l.level === 'info' && /retrying later/.test(l.msg)), 'no per-retry session lines');
  // The saved cursor: every entry of A's log before it is held by B.
  const doc = JSON.parse(await readFile(cursorsPath, 'utf8').catch(() => '{"peers":{}}'));
  const pos: number = doc.peers[a.node.peerId]?.pos ?? 0;
  const before = (await a.store.entriesSince(0, { limit: 200 })).entries.filter((e) => e.end <= pos);
  t.ok((await store.hasMany(before.map((e) => e.score))).every(Boolean), `the ${before.length} blocks before the saved cursor are held`);
  t.ok(before.length < 200, 'the cursor stopped short of the head');

  await rm(join(mnt, 'filler'));
  t.ok(await eventually(() => of()?.state === 'idle' && of()?.lagBytes === 0), 'B resumed by itself and caught up');
  t.equal(of()!.diskFullPauses, 1);
  t.ok(b.logged.some((l) => /resumed after the disk was full/.test(l.msg)), 'the resume is logged');
  t.ok((await store.hasMany(scores)).every(Boolean), 'every block is on B');
  await repl.stop();
  stopped = true;
  await store.close();
  closed = true;
  const again = await BlockStore.open(join(mnt, 'store'), opts);
  t.teardown(() => again.close().catch(() => {}));
  t.ok((await again.hasMany(scores)).every(Boolean), 'every block is durable');
  for (const s of scores.slice(0, 200)) t.same(await again.get(s), await a.store.get(s));
  const report = await again.verify();
  t.ok(report.ok, 'B\'s store verifies');
  t.equal(report.records, 200);
});

// grid.heldRoots(): what garbage collection must keep for the running environments: each
// one's base root (even once its name is gone), its newest save or checkpoint, and the
// leaves its volume spilled into the store; nothing of an environment once it is boomed.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { formatScore } from '../../../appliance/store/index.js';
import { openWorld, putFile } from './helpers.js';

const texts = (scores: Buffer[]) => new Set(scores.map(formatScore));

t.test('bases, heads and spilled leaves of every running environment', async (t) => {
  const w = await openWorld(t, { ramCacheBytes: 1 << 20 });
  t.same(w.grid.heldRoots(), { roots: [], scores: [], trees: [] }, 'nothing runs, nothing is held');
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await w.grid.spawn('alice', 'plain', { cache: 'disk' });
  const ram = w.grid.environment('alice', 'debian').volume;
  const big = Buffer.alloc(3 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 13) % 251;
  await putFile(ram, 'big.bin', big); // past the 1 MiB budget: spilled
  const held = w.grid.heldRoots();
  t.ok(texts(held.roots).has(formatScore(w.roots.debian)) && texts(held.roots).has(formatScore(w.roots.plain)), 'both bases');
  const spilled = ram.heldScores();
  t.ok(spilled.length > 0, `${spilled.length} leaves spilled`);
  t.ok(spilled.every((s) => texts(held.scores).has(formatScore(s))), 'every spilled leaf is held');

  const disk = w.grid.environment('alice', 'plain').volume;
  await putFile(disk, 'note.txt', 'checkpointed, never named\n');
  const head = await w.grid.checkpoint('plain');
  t.not(formatScore(head), formatScore(w.roots.plain));
  t.ok(texts(w.grid.heldRoots().roots).has(formatScore(head)), 'the checkpoint head, which no name reaches');

  await w.grid.boom('alice', 'debian');
  const after = w.grid.heldRoots();
  t.notOk(texts(after.roots).has(formatScore(w.roots.debian)), 'a boomed environment holds nothing');
  t.notOk(spilled.some((s) => texts(after.scores).has(formatScore(s))));
});

t.test('a disk environment that could not be restored keeps its head and base held', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'plain', { cache: 'disk' });
  await putFile(w.grid.environment('alice', 'plain').volume, 'note.txt', 'work\n');
  await w.grid.checkpoint('plain');
  await w.grid.close();
  // The record names a head this store lacks (a disk replaced, a block lost): restore fails.
  const file = join(w.data, 'envs', 'plain.json');
  const record = JSON.parse(await readFile(file, 'utf8')) as { head: string };
  const lost = `b3:${'ab'.repeat(32)}`;
  record.head = lost;
  await writeFile(file, JSON.stringify(record));
  const grid = await w.reopen();
  t.same(grid.status('alice'), [], 'not restored');
  const held = texts(grid.heldRoots().roots);
  t.ok(held.has(lost) && held.has(formatScore(w.roots.plain)), 'its head and base are held, so the record still names a tree');
});

// Concurrent namespace changes in one directory, as a 9P session issues them: batches of
// creates, links, renames and unlinks started together, then the namespace invariants are
// checked. A free-name check and the insert separated by an await let `link x` and
// `create x` both succeed and orphan an inode. A failure replays from its seed.
import { link, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { ROOT_INO, Volume } from '../../../appliance/volume/index.js';
import { mulberry32 } from '../../helpers/random.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const SEED = Number(process.env.COLONY_RACE_SEED ?? 7);
const BATCHES = Number(process.env.COLONY_RACE_BATCHES ?? 150);
const root = { uid: 0, gid: 0 };

/** Every broken invariant of the volume's namespace, as sentences (empty when sound). */
function namespaceFaults(v: Volume): string[] {
  const faults: string[] = [];
  const names = new Map<number, number>(); // ino → names pointing at it
  const perDir = new Map<string, number>(); // `${dir}:${ino}` → names in that directory
  for (const node of v.allInodes()) {
    if (!node.dir) continue;
    for (const [name, child] of node.dir.children) {
      if (child.ino === undefined) continue; // a base entry not looked up yet: not in the table
      if (!v.has(child.ino)) { faults.push(`${node.ino}/${name} names inode ${child.ino}, which is gone`); continue; }
      names.set(child.ino, (names.get(child.ino) ?? 0) + 1);
      perDir.set(`${node.ino}:${child.ino}`, (perDir.get(`${node.ino}:${child.ino}`) ?? 0) + 1);
    }
  }
  for (const node of v.allInodes()) {
    if (node.ino === ROOT_INO || node.dir) continue;
    const n = names.get(node.ino) ?? 0;
    if (node.nlink !== n) faults.push(`inode ${node.ino} has nlink ${node.nlink} but ${n} names`);
    if (n === 0 && node.opens === 0) faults.push(`inode ${node.ino} is an orphan: no name, not open, still in the table`);
    for (const [dir, count] of node.parents) {
      if ((perDir.get(`${dir}:${node.ino}`) ?? 0) !== count) faults.push(`inode ${node.ino} thinks directory ${dir} holds ${count} names for it`);
    }
  }
  return faults;
}

t.test(`${BATCHES} batches of concurrent creates, links, renames and unlinks keep the namespace sound (seed ${SEED})`, async (t) => {
  const src = await tmpDir(t);
  await mkdir(join(src, 'd'));
  await writeFile(join(src, 'd/base'), 'base\n');
  await link(join(src, 'd/base'), join(src, 'd/base-too')); // a base hard link: its first change awaits the link index
  const { store } = await tmpStore(t);
  const v = await Volume.open(store, (await importDirectory(store, src)).root);
  const dir = (await v.resolvePath('d')).ino;
  const rand = mulberry32(SEED);
  const pool = ['a', 'b', 'c', 'd', 'base', 'base-too'];
  const pick = () => pool[Math.floor(rand() * pool.length)]!;
  const existing = async (name: string) => v.lookup(root, dir, name).catch(() => undefined);
  let succeeded = 0;
  let failed = 0;
  for (let batch = 1; batch <= BATCHES; batch++) {
    const ops: Array<Promise<unknown>> = [];
    for (let i = 0; i < 8; i++) {
      const name = pick();
      const other = pick();
      switch (Math.floor(rand() * 4)) {
        case 0: ops.push(v.create(root, dir, name, 'file', 0o644, 0)); break;
        case 1: ops.push(existing(other).then((ino) => (ino === undefined ? Promise.reject(new Error('gone')) : v.link(root, dir, name, ino)))); break;
        case 2: ops.push(v.rename(root, dir, other, dir, name)); break;
        case 3: ops.push(v.unlink(root, dir, name, false)); break;
      }
    }
    for (const r of await Promise.allSettled(ops)) r.status === 'fulfilled' ? succeeded++ : failed++;
    const faults = namespaceFaults(v);
    if (faults.length) { t.fail(`after batch ${batch} (seed ${SEED}): ${faults.join('; ')}`); return; }
  }
  t.ok(succeeded > BATCHES, `${succeeded} operations succeeded`);
  t.ok(failed > 0, `${failed} failed cleanly (EEXIST, ENOENT)`);
  t.same(namespaceFaults(v), [], 'every inode has as many names as links, and none is orphaned');
});

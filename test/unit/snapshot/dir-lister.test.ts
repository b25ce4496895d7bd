// The directory lister: the scan's order (depth-first, subdirectories in readdir order),
// each entry's name and lstat fields, batches wider than one, and errors at the directory
// where they happened.
import fs from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { DirLister, nameStart, ST_CTIME, ST_DEV, ST_FIELDS, ST_INO, ST_MODE, ST_MTIME, ST_NLINK, ST_SIZE, type Listing } from '../../../appliance/snapshot/dir-lister.js';
import { tmpDir } from '../../helpers/tmp.js';

const names = (l: Listing) => Array.from({ length: l.count }, (_, j) => l.names.toString('latin1', nameStart(l, l.first + j), l.ends[l.first + j]));

/** The scan's order, from the same calls on this thread. */
function expected(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    out.push(d);
    for (const n of fs.readdirSync(d)) if (fs.lstatSync(join(d, n)).isDirectory()) walk(join(d, n));
  };
  walk(dir);
  return out;
}

t.test('lists every directory in the scan order, with each entry lstat gives', async (t) => {
  const top = await tmpDir(t);
  // Wider than a batch (4096 entries) in one directory, and deeper than one level elsewhere.
  await mkdir(join(top, 'wide'));
  for (let i = 0; i < 4500; i++) await writeFile(join(top, 'wide', `f${i}`), i % 7 ? '' : 'x'.repeat(i));
  for (const d of ['a/b/c', 'a/d', 'e']) await mkdir(join(top, d), { recursive: true });
  await writeFile(join(top, 'a', 'b', 'file'), 'hello');
  await symlink('nowhere', join(top, 'a', 'link'));
  await mkdir(join(top, 'a', 'empty'));

  const lister = new DirLister(Buffer.from(top));
  t.teardown(() => lister.close());
  const order = expected(top);
  for (const dir of order) {
    const l = await lister.next(Buffer.from(dir));
    const want = fs.readdirSync(dir);
    t.same(names(l), want, `names of ${dir}`);
    want.forEach((n, j) => {
      const st = fs.lstatSync(join(dir, n), { bigint: true });
      const at = (l.first + j) * ST_FIELDS;
      const got = [ST_DEV, ST_INO, ST_SIZE, ST_MTIME, ST_CTIME, ST_MODE, ST_NLINK].map((f) => l.stats[at + f]);
      if (JSON.stringify(got.map(String)) !== JSON.stringify([st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs, st.mode, st.nlink].map(String))) t.fail(`stat of ${dir}/${n}`);
    });
  }
  t.equal(order.length, 8);
  await t.rejects(lister.next(Buffer.from(top)), /no more directories/, 'nothing past the last directory');
});

t.test('an error comes with its path when the scan reaches it', async (t) => {
  const top = await tmpDir(t);
  const lister = new DirLister(Buffer.from(join(top, 'missing')));
  t.teardown(() => lister.close());
  await t.rejects(lister.next(Buffer.from(join(top, 'missing'))), { code: 'ENOENT', path: join(top, 'missing') });
});

t.test('once the worker has stopped, the rest is listed on this thread, in the same form', async (t) => {
  const top = await tmpDir(t);
  // A batch ends past 1024 entries and two are listed ahead: d3 and d4 come after the stop.
  for (let i = 0; i < 5; i++) {
    await mkdir(join(top, `d${i}`, 'inner'), { recursive: true });
    for (let f = 0; f < 1100; f++) await writeFile(join(top, `d${i}`, `f${f}`), '');
  }
  await writeFile(join(top, 'd3', 'inner', 'file'), 'hello');
  const lister = new DirLister(Buffer.from(top));
  t.teardown(() => lister.close());
  const order = expected(top);
  t.same(names(await lister.next(Buffer.from(order[0]!))), fs.readdirSync(order[0]!));
  await lister.stopWorker();
  for (const dir of order.slice(1)) {
    const l = await lister.next(Buffer.from(dir));
    t.same(names(l), fs.readdirSync(dir), `names of ${dir}`);
    fs.readdirSync(dir).forEach((n, j) => t.equal(l.stats[(l.first + j) * ST_FIELDS + ST_INO], fs.lstatSync(join(dir, n), { bigint: true }).ino));
  }
});

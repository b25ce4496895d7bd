// save: point-in-time under concurrent writes, atomic (a failed or timed-out save names
// nothing), owned by the saver, and the environment carries on over the saved tree.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { exportDirectory } from '../../../appliance/snapshot/index.js';
import type { BlockStore } from '../../../appliance/store/index.js';
import { ROOT_CRED } from '../../../appliance/volume/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { getFile, openWorld, putFile } from './helpers.js';

/** A store whose put and sync can be held or made to fail. */
function controllable() {
  const ctl = {
    failSync: false,
    hold: undefined as undefined | { what: 'put' | 'sync'; reached: () => void; release: Promise<void> },
  };
  const wrap = (raw: BlockStore): BlockStore => new Proxy(raw, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      if (prop !== 'put' && prop !== 'sync') return fn;
      return async (...args: unknown[]) => {
        const h = ctl.hold;
        if (h && h.what === prop) { ctl.hold = undefined; h.reached(); await h.release; }
        if (prop === 'sync' && ctl.failSync) throw new Error('the disk went away');
        return fn(...args);
      };
    },
  });
  const holdAt = (what: 'put' | 'sync') => {
    let release!: () => void;
    let reached!: () => void;
    const atGate = new Promise<void>((r) => { reached = r; });
    ctl.hold = { what, reached, release: new Promise<void>((r) => { release = r; }) };
    return { atGate, release };
  };
  return { ctl, wrap, holdAt };
}

t.test('a save is point-in-time while the environment is written', async (t) => {
  const c = controllable();
  const w = await openWorld(t, {}, { store: c.wrap });
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  const vol = w.grid.environment('alice', 'debian').volume;
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  const ino = await putFile(vol, 'data.bin', big);
  await putFile(vol, 'hello.txt', 'before the save\n');

  const gate = c.holdAt('put');
  const saving = w.grid.save('alice', 'debian', 'snap');
  await gate.atGate; // the save has captured its view and is writing blocks
  await vol.write(ROOT_CRED, ino, 0, Buffer.alloc(200_000, 0xee));
  await vol.write(ROOT_CRED, ino, 300_000, Buffer.from('grown'));
  await putFile(vol, 'hello.txt', 'after the save started\n');
  await putFile(vol, 'late.txt', 'late\n');
  gate.release();
  const rec = await saving;

  const out = join(await tmpDir(t), 'x');
  await exportDirectory(w.store, rec.root, out);
  t.ok((await readFile(join(out, 'data.bin'))).equals(big), 'the file as it was when the save began');
  t.equal(await readFile(join(out, 'hello.txt'), 'utf8'), 'before the save\n');
  await t.rejects(readFile(join(out, 'late.txt')), { code: 'ENOENT' });

  t.equal(await getFile(vol, 'hello.txt'), 'after the save started\n', 'the environment keeps the later writes');
  t.equal((await vol.read(ino, 0, 10)).toString('hex'), 'ee'.repeat(10));
  t.ok(w.grid.status('alice')[0]?.unsaved, 'which are unsaved');
  const rec2 = await w.grid.save('alice', 'debian', 'snap2');
  const out2 = join(await tmpDir(t), 'y');
  await exportDirectory(w.store, rec2.root, out2);
  t.equal(await readFile(join(out2, 'late.txt'), 'utf8'), 'late\n');
  t.equal((await readFile(join(out2, 'data.bin'))).length, 300_005);
});

t.test('a save that fails registers no name; the environment runs on', async (t) => {
  const c = controllable();
  const w = await openWorld(t, {}, { store: c.wrap });
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  const vol = w.grid.environment('alice', 'debian').volume;
  await putFile(vol, 'work.txt', 'precious\n');
  c.ctl.failSync = true;
  await t.rejects(w.grid.save('alice', 'debian', 'broken'), { message: /the disk went away/ });
  t.throws(() => w.catalog.getName('alice', 'broken'), { code: 'COLONY_NOT_FOUND' });
  t.equal(w.grid.status('alice')[0]?.base.name, 'debian');
  t.ok(w.grid.status('alice')[0]?.unsaved);
  c.ctl.failSync = false;
  const rec = await w.grid.save('alice', 'debian', 'broken');
  t.equal(rec.name, 'broken', 'the name is free for the next try');
  t.equal(await getFile(vol, 'work.txt'), 'precious\n');
});

t.test('a save that passes its time bound fails with COLONY_TIMEOUT and names nothing', async (t) => {
  const c = controllable();
  const w = await openWorld(t, { saveTimeoutMs: 30 }, { store: c.wrap });
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await putFile(w.grid.environment('alice', 'debian').volume, 'work.txt', 'x');
  const gate = c.holdAt('sync');
  await t.rejects(w.grid.save('alice', 'debian', 'slow'), { code: 'COLONY_TIMEOUT', message: /nothing was named/ });
  await gate.atGate;
  gate.release();
  await w.grid.environment('alice', 'debian').idle();
  t.throws(() => w.catalog.getName('alice', 'slow'), { code: 'COLONY_NOT_FOUND' }, 'not even after the store caught up');
});

t.test('saving a name the saver already has is refused before any work', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await t.rejects(w.grid.save('alice', 'debian', 'plain'), { code: 'COLONY_EXISTS' });
  await t.rejects(w.grid.save('alice', 'nonesuch', 'x'), { code: 'COLONY_NOT_FOUND' });
});

// open(O_CREAT) is one step (backend.ts's contract): a create served from a volume makes the
// file and its open handle together, so an unlink or a rename over the name that runs right
// after cannot fail the create or hand it another inode. The interleaving is forced, not
// timed: a hook runs the racing change to completion as soon as the volume's create has
// resolved, before the backend's next call into the volume.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { L_O_CREAT, L_O_RDWR, NinepClient, NinepServer, ORDWR, routeTable, type Caller } from '../../../appliance/ninep/index.js';
import { VolumeBackend } from '../../../appliance/ninep/volume-backend.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { ROOT_INO, Volume } from '../../../appliance/volume/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const caller: Caller = { uid: 0, gid: 0, uname: 'root', signal: new AbortController().signal };

async function setup(t: Test) {
  const src = await tmpDir(t);
  await mkdir(join(src, 'd'));
  await writeFile(join(src, 'd/other'), 'other\n');
  const { store } = await tmpStore(t);
  const volume = await Volume.open(store, (await importDirectory(store, src)).root);
  const backend = new VolumeBackend(volume);
  const dir = await backend.walk(caller, await backend.root(), 'd');
  const other = (await volume.resolvePath('d/other')).ino;
  return { volume, backend, dir, other };
}

/**
 * Once the volume's create (however the backend names it) has resolved, the backend's next
 * call into the volume first waits for `race` to finish: the race lands exactly between
 * "the file exists" and whatever the backend does next. Returns whether the race ran.
 */
function raceAfterCreate(volume: Volume, race: () => Promise<void>): { ran: () => boolean } {
  const v = volume as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  let armed = false;
  let ran = false;
  const fire = async () => {
    if (!armed) return;
    armed = false;
    ran = true;
    await race();
  };
  for (const name of ['create', 'createOpen']) {
    const orig = v[name]?.bind(volume);
    if (!orig) continue;
    v[name] = async (...args: unknown[]) => { const r = await orig(...args); armed = true; return r; };
  }
  for (const name of ['getattr', 'open', 'lookup', 'read', 'write']) {
    const orig = v[name]!.bind(volume);
    v[name] = async (...args: unknown[]) => { await fire(); return orig(...args); };
  }
  return { ran: () => ran };
}

/** nlink = names for every file; nothing unnamed stays unless it is open. */
function namespaceFaults(v: Volume): string[] {
  const names = new Map<number, number>();
  for (const node of v.allInodes()) {
    for (const child of node.dir?.children.values() ?? []) if (child.ino !== undefined) names.set(child.ino, (names.get(child.ino) ?? 0) + 1);
  }
  const faults: string[] = [];
  for (const node of v.allInodes()) {
    if (node.ino === ROOT_INO || node.dir) continue;
    const n = names.get(node.ino) ?? 0;
    if (node.nlink !== n) faults.push(`inode ${node.ino} has nlink ${node.nlink} but ${n} names`);
    if (n === 0 && node.opens === 0) faults.push(`inode ${node.ino} is an orphan`);
  }
  return faults;
}

t.test('an unlink of the name right after the create: the create still opens the file it made', async (t) => {
  const { volume, backend, dir } = await setup(t);
  const hook = raceAfterCreate(volume, () => backend.unlink(caller, dir, 'x', 0));
  const { node, handle } = await backend.create(caller, dir, 'x', L_O_RDWR | L_O_CREAT, 0o600, 0);
  t.ok(hook.ran(), 'the unlink ran between the create and the open');
  const ino = node.qid.path;
  t.ok(volume.has(ino), 'the created inode lives while its handle is open');
  t.equal((await backend.getattr(caller, node)).nlink, 0, 'it has no name left');
  await t.rejects(backend.walk(caller, dir, 'x'), { code: 'COLONY_NOT_FOUND' });
  t.equal(await backend.write!(caller, handle, 0, Buffer.from('still mine\n')), 11);
  t.equal((await backend.read(caller, handle, 0, 100)).toString(), 'still mine\n', 'the handle is the created file');
  t.same(namespaceFaults(volume), []);
  await backend.release(handle);
  t.notOk(volume.has(ino), 'released: the unnamed inode is freed');
  t.same(namespaceFaults(volume), []);
});

t.test('a rename over the name right after the create: the handle is the new file, the name the renamed one', async (t) => {
  const { volume, backend, dir, other } = await setup(t);
  const hook = raceAfterCreate(volume, () => backend.rename!(caller, dir, 'other', dir, 'x'));
  const { node, handle } = await backend.create(caller, dir, 'x', L_O_RDWR | L_O_CREAT, 0o644, 0);
  t.ok(hook.ran());
  t.not(node.qid.path, other, 'the create returns its own inode, not the one renamed over it');
  t.equal((await backend.getattr(caller, node)).nlink, 0);
  t.equal((await backend.walk(caller, dir, 'x')).qid.path, other, 'the name is the renamed file');
  t.equal((await backend.read(caller, handle, 0, 100)).length, 0, 'the handle reads the new, empty file');
  t.same(namespaceFaults(volume), []);
  await backend.release(handle);
  t.notOk(volume.has(node.qid.path));
  t.same(namespaceFaults(volume), []);
});

for (const dialect of ['9P2000.L', '9P2000'] as const) {
  t.test(`${dialect}: the created fid refers to the created inode though an unlink came between`, async (t) => {
    const { volume, backend } = await setup(t);
    const base = await tmpDir(t);
    const server = new NinepServer({
      router: routeTable({ env: async () => ({ backend, root: await backend.root(), user: { uid: 0, gid: 0, uname: 'root' } }) }),
    });
    t.teardown(() => server.close());
    const sock = join(base, '9p.sock');
    await server.listen(sock);
    const c = await NinepClient.connect(sock, { version: dialect });
    t.teardown(() => c.close());
    const { fid: root } = await c.attach('env', 'root', 0);
    const dirNode = await backend.walk(caller, await backend.root(), 'd');
    const hook = raceAfterCreate(volume, () => backend.unlink(caller, dirNode, 'x', 0));
    const fid = await c.walkPath(root, 'd');
    const qid = dialect === '9P2000' ? await c.create(fid, 'x', 0o644, ORDWR) : await c.lcreate(fid, 'x', L_O_RDWR | L_O_CREAT, 0o644, 0);
    t.ok(hook.ran());
    t.ok(volume.has(qid.path), 'the inode the reply names is alive');
    t.equal((await volume.getattr(qid.path)).nlink, 0);
    t.equal(await c.write(fid, 0, Buffer.from('via fid\n')), 8);
    t.equal((await volume.read(qid.path, 0, 100)).toString(), 'via fid\n', 'the fid writes the created inode');
    t.same(namespaceFaults(volume), []);
    await c.clunk(fid);
    t.notOk(volume.has(qid.path), 'clunked: freed');
    t.same(namespaceFaults(volume), []);
  });
}

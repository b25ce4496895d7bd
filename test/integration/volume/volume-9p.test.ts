// A volume served over 9P for real: our server on a socket, our client, and diod's client
// tools (the reference implementation's) listing and reading it over TCP.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { NinepClient, NinepServer, routeTable, L_O_RDWR, L_O_CREAT, E } from '../../../appliance/ninep/index.js';
import { VolumeBackend } from '../../../appliance/ninep/volume-backend.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { Volume } from '../../../appliance/volume/index.js';
import { repoRoot } from '../../helpers/cli.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const run = promisify(execFile);

async function served(t: Test) {
  const base = await tmpDir(t);
  const src = join(base, 'src');
  await mkdir(join(src, 'etc'), { recursive: true });
  await writeFile(join(src, 'etc/motd'), 'welcome to colony\n');
  await writeFile(join(src, 'data.bin'), Buffer.alloc(200_000, 3));
  const { store } = await tmpStore(t);
  const { root } = await importDirectory(store, src);
  const volume = await Volume.open(store, root);
  const backend = new VolumeBackend(volume);
  const server = new NinepServer({
    router: routeTable({ 'env/test': async () => ({ backend, root: await backend.root(), user: { uid: 0, gid: 0, uname: 'root' }, route: 'env/test' }) }),
  });
  t.teardown(() => server.close());
  return { base, server, volume, store };
}

t.test('our client reads, writes, creates and gets POSIX errnos from a served volume', async (t) => {
  const { base, server, volume } = await served(t);
  const sock = join(base, '9p.sock');
  await server.listen(sock);
  const c = await NinepClient.connect(sock);
  t.teardown(() => c.close());
  const { fid: root } = await c.attach('env/test', 'root', 0);
  const motd = await c.walkPath(root, 'etc/motd');
  await c.open(motd);
  t.equal((await c.readAll(motd)).toString(), 'welcome to colony\n');

  const dir = await c.walkPath(root, 'etc');
  await c.lcreate(dir, 'new.txt', L_O_RDWR | L_O_CREAT, 0o644, 0);
  t.equal(await c.write(dir, 0, Buffer.from('written over 9p\n')), 16);
  await c.clunk(dir);
  t.equal((await volume.read((await volume.resolvePath('etc/new.txt')).ino, 0, 100)).toString(), 'written over 9p\n');

  const names = (await (async () => { const d = await c.walkPath(root, 'etc'); await c.open(d); return c.readdir(d); })()).map((e) => e.name).sort();
  t.same(names.filter((n) => n !== '.' && n !== '..'), ['motd', 'new.txt']);

  // rmdir of a non-empty directory: ENOTEMPTY on the wire.
  const err = await c.rpc({ type: 'Tunlinkat', dirfid: root, name: 'etc', flags: 0x200 }).catch((e: { message: string }) => e);
  t.match(String((err as Error).message), /ENOTEMPTY/);
  void E;
});

t.test("diod's client tools list and read a served volume over TCP", async (t) => {
  await run(join(repoRoot, 'scripts/ensure-apt.sh'), ['diod']);
  const { server } = await served(t);
  const listener = await server.listen('127.0.0.1:0');
  const port = Number(listener.address.split(':').pop());
  const ls = await run('diodls', ['-s', `127.0.0.1:${port}`, '-a', 'env/test', '-t', '20', '/etc']);
  t.match(ls.stdout, /motd/);
  const cat = await run('diodcat', ['-s', `127.0.0.1:${port}`, '-a', 'env/test', '-t', '20', '/etc/motd']);
  t.equal(cat.stdout, 'welcome to colony\n');
});

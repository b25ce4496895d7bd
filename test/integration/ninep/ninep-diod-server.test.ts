// Our client (and so our codec's layout of every .L reply) against a real server: diod,
// exporting a temporary directory on 127.0.0.1. If our idea of Rgetattr or Rreaddir were
// off by a byte, decoding diod's replies here would fail.
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { NinepClient } from '../../../appliance/ninep/client.js';
import { GETATTR_ALL, L_O_CREAT, L_O_RDONLY, L_O_RDWR, QTDIR, S_IFREG } from '../../../appliance/ninep/constants.js';
import { E, errnoFor } from '../../../appliance/ninep/errno.js';
import { tmpDir } from '../../helpers/tmp.js';

const ensureApt = fileURLToPath(new URL('../../../scripts/ensure-apt.sh', import.meta.url));
const setup = await new Promise<number>((resolve) => execFile(ensureApt, ['diod'], { timeout: 300_000 }, (err) => resolve(err ? 1 : 0)));

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});

t.test('the client speaks 9P2000.L to diod: attach, walk, getattr, readdir, create, write, read', { skip: (setup !== 0 || process.getuid?.() !== 0) && 'needs diod and root' }, async (t) => {
  const dir = await tmpDir(t, 'colony-diod-');
  await writeFile(join(dir, 'hello.txt'), 'from diod\n');
  await mkdir(join(dir, 'sub'));
  const port = await freePort();
  const diod = spawn('/usr/sbin/diod', ['-f', '-n', '-N', '-c', '/dev/null', '-L', 'stderr', '-l', `127.0.0.1:${port}`, '-e', dir], { stdio: 'ignore' });
  t.teardown(() => { diod.kill('SIGTERM'); });
  let c: NinepClient | undefined;
  for (let i = 0; i < 200 && !c; i++) {
    c = await NinepClient.connect(`127.0.0.1:${port}`, { msize: 65536 }).catch(async () => { await new Promise((r) => setTimeout(r, 25)); return undefined; });
  }
  if (!c) { t.fail('diod did not start'); return; }
  const client = c;
  t.teardown(() => client.close());
  t.equal(client.msize, 65536, 'diod caps msize at 64 KiB');
  const root = await client.attach(dir, 'root', 0);
  t.equal(root.qid.type, QTDIR);
  const f = await client.walk(root.fid, ['hello.txt']);
  const a = await client.getattr(f.fid, GETATTR_ALL);
  t.equal(a.size, 10);
  t.equal(a.mode & 0o170000, S_IFREG);
  await client.open(f.fid, L_O_RDONLY);
  t.equal((await client.readAll(f.fid)).toString(), 'from diod\n');
  const d = await client.walk(root.fid, []);
  await client.open(d.fid, L_O_RDONLY);
  t.same((await client.readdir(d.fid)).map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort(), ['hello.txt', 'sub']);
  const n = await client.walk(root.fid, ['sub']);
  await client.lcreate(n.fid, 'new.txt', L_O_RDWR | L_O_CREAT, 0o644, 0);
  await client.write(n.fid, 0, Buffer.from('written by colony'));
  t.equal(await readFile(join(dir, 'sub', 'new.txt'), 'utf8'), 'written by colony');
  t.equal(await client.walk(root.fid, ['missing']).then(() => 0, errnoFor), E.ENOENT);
  const st = await client.rpc({ type: 'Tstatfs', fid: root.fid });
  t.ok(st.bsize > 0, 'Rstatfs decodes');
});

// Real clients: diod's tools (Debian package diod) list and read our trees over TCP on
// 127.0.0.1. They speak 9P2000.L with msize 65536, through their own libnpclient.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { MemFs } from '../../../appliance/ninep/memfs.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { NinepServer } from '../../../appliance/ninep/server.js';
import { SynthFs, synthDir, synthFile } from '../../../appliance/ninep/synth.js';
import { until } from './harness.js';

const ensureApt = fileURLToPath(new URL('../../../scripts/ensure-apt.sh', import.meta.url));

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr: stderr.toString() });
    });
  });
}

const setup = await run(ensureApt, ['diod']);
const diodls = '/usr/sbin/diodls', diodcat = '/usr/sbin/diodcat';

t.test('diodls and diodcat list and read a MemFs and a synthetic tree over TCP', async (t) => {
  // Required, not optional: a missing diod is a failure, with apt's complaint attached.
  t.equal(setup.code, 0, `scripts/ensure-apt.sh diod: ${setup.stderr}`);
  const fs = new MemFs();
  fs.writeFile('hello.txt', 'hello from colony\n');
  fs.writeFile('etc/os-release', 'ID=colony\n');
  const big = randomBytes(300_000); // several 64 KiB reads
  fs.writeFile('big.bin', big);
  const tree = new SynthFs(synthDir({ status: synthFile({ read: () => 'all well\n' }), env: synthDir({ web: synthDir({ status: synthFile({ read: () => 'running\n' }) }) }) }));
  const server = new NinepServer({
    router: routeTable({
      env: async (req) => ({ backend: fs, root: fs.root, user: { uid: req.nUname ?? 0, gid: 0, uname: req.uname } }),
      ctl: async (req) => ({ backend: tree, root: tree.root, user: { uid: 0, gid: 0, uname: req.uname } }),
    }),
  });
  t.teardown(() => server.close());
  const l = await server.listen('127.0.0.1:0');

  const ls = await run(diodls, ['-s', l.address, '-a', 'env', '/']);
  t.equal(ls.code, 0, ls.stderr);
  t.same(ls.stdout.toString().split('\n').filter(Boolean).sort(), ['big.bin', 'etc', 'hello.txt']);

  const long = await run(diodls, ['-l', '-s', l.address, '-a', 'env', '/etc']);
  t.equal(long.code, 0, long.stderr);
  t.match(long.stdout.toString(), /^-rw-r--r--.*\s10 .*os-release$/m, 'diodls -l shows mode, size and name');

  const cat = await run(diodcat, ['-s', l.address, '-a', 'env', 'hello.txt']);
  t.equal(cat.code, 0, cat.stderr);
  t.equal(cat.stdout.toString(), 'hello from colony\n');

  const bigCat = await run(diodcat, ['-s', l.address, '-a', 'env', 'big.bin']);
  t.equal(bigCat.code, 0, bigCat.stderr);
  t.equal(createHash('sha256').update(bigCat.stdout).digest('hex'), createHash('sha256').update(big).digest('hex'), '300 kB read back intact');

  const ctlLs = await run(diodls, ['-s', l.address, '-a', 'ctl', '/env/web']);
  t.equal(ctlLs.stdout.toString(), 'status\n');
  const status = await run(diodcat, ['-s', l.address, '-a', 'ctl', 'env/web/status']);
  t.equal(status.stdout.toString(), 'running\n');

  const missing = await run(diodcat, ['-s', l.address, '-a', 'nowhere', 'x']);
  t.not(missing.code, 0);
  t.match(missing.stderr, /No such file or directory/, 'an unknown aname is ENOENT to a real client');

  await until(() => server.stats().connections === 0, 'the tools to disconnect');
  t.equal(server.stats().connections, 0, 'the tools disconnected and everything was released');
  t.equal(server.stats().fids, 0);
});

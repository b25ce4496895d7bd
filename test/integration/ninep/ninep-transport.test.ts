import { stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { NinepClient } from '../../../appliance/ninep/client.js';
import { MemFs } from '../../../appliance/ninep/memfs.js';
import { DEFAULT_PORT_ROOT, DEFAULT_PORT_USER, defaultPort, NinepServer, parseAddress } from '../../../appliance/ninep/server.js';
import { tmpDir } from '../../helpers/tmp.js';
import { memRouter } from './harness.js';

t.test('addresses: host:port, [v6]:port, socket paths, and the default port', async (t) => {
  t.same(parseAddress('127.0.0.1:5640'), { kind: 'tcp', host: '127.0.0.1', port: 5640 });
  t.same(parseAddress('[::1]:564'), { kind: 'tcp', host: '::1', port: 564 });
  t.same(parseAddress('var/9p.sock'), { kind: 'unix', path: 'var/9p.sock' });
  t.same(parseAddress('/run/colony/9p.sock'), { kind: 'unix', path: '/run/colony/9p.sock' });
  t.same(parseAddress('localhost'), { kind: 'tcp', host: 'localhost', port: defaultPort() });
  t.equal(defaultPort(), process.getuid?.() === 0 ? DEFAULT_PORT_ROOT : DEFAULT_PORT_USER);
  t.same([DEFAULT_PORT_ROOT, DEFAULT_PORT_USER], [564, 5640]);
  t.throws(() => parseAddress('host:99999'), { code: 'COLONY_INVALID' });
  t.throws(() => parseAddress('a:b:c'), { code: 'COLONY_INVALID' });
});

t.test('a unix socket is mode 0600; a stale one is replaced, a live one is refused', async (t) => {
  const dir = await tmpDir(t);
  const path = join(dir, '9p.sock');
  // A socket file left by a crashed server: its process was killed, nobody listens.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
  await new Promise((r) => child.stdout.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok((await stat(path)).isSocket(), 'the stale socket file is there');
  const fs = new MemFs();
  const server = new NinepServer({ router: memRouter(fs) });
  t.teardown(() => server.close());
  const l = await server.listen(path);
  t.equal((await stat(l.address)).mode & 0o777, 0o600);
  const c = await NinepClient.connect(l.address);
  t.teardown(() => c.close());
  t.ok((await c.attach('mem')).qid);
  const second = new NinepServer({ router: memRouter(fs) });
  t.teardown(() => second.close());
  await t.rejects(second.listen(l.address), { code: 'COLONY_INVALID', message: /in use/ });
  const plain = join(dir, 'plain');
  await writeFile(plain, 'not a socket');
  await t.rejects(second.listen(plain), { code: 'COLONY_INVALID', message: /not a socket/ });
});

t.test('TCP on 127.0.0.1 with a free port; closing the listener keeps sessions until close()', async (t) => {
  const fs = new MemFs();
  fs.writeFile('x', 'over tcp');
  const server = new NinepServer({ router: memRouter(fs) });
  const l = await server.listen('127.0.0.1:0');
  t.match(l.address, /^127\.0\.0\.1:\d+$/);
  const c = await NinepClient.connect(l.address);
  const root = await c.attach('mem');
  const f = await c.walk(root.fid, ['x']);
  await c.open(f.fid);
  await l.close();
  t.equal((await c.read(f.fid, 0, 100)).toString(), 'over tcp', 'an existing session outlives its listener');
  await server.close();
  t.equal(fs.openHandles, 0, 'close() released everything');
  t.ok(c.closed || (await c.read(f.fid, 0, 1).then(() => false, () => true)), 'and the client was cut off');
});

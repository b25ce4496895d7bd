// `colony console` while a supervisor holds the data directory: it connects to the
// supervisor's console socket instead of failing on the lock.
import { stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { encodeFrame, FRAME, FrameReader, jsonFrame, parseJson, type Frame } from '../../../appliance/console/local-protocol.js';
import { MemoryLog } from '../../../appliance/log.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { Supervisor } from '../../../appliance/supervisor/index.js';
import { nodeIdOf } from '../../../appliance/supervisor/node-id.js';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('the console reaches a running supervisor through DATA/console.sock', async (t) => {
  const data = await tmpDir(t);
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: await nodeIdOf(data) });
  await catalog.addUser({ name: 'admin', role: 'admin' });
  await catalog.addUser({ name: 'alice', role: 'user' });
  await catalog.close();
  const config = validateConfig({ ninep: { listen: ['127.0.0.1:0'] }, ssh: { listen: '127.0.0.1:0' }, peer: { listen: ['127.0.0.1:0'] } }, defaultConfig(false));
  const sup = new Supervisor({ data, log: new MemoryLog(), config });
  await sup.start();
  t.teardown(() => sup.stop());
  t.equal((await stat(join(data, 'console.sock'))).mode & 0o777, 0o600, 'the socket is for the daemon user only');

  const ok = await runCli(['console', '--data', data, '--user', 'alice'], { input: 'help\nstatus\n' });
  t.equal(ok.code, 0, ok.stderr);
  t.notMatch(ok.stderr, /LOCKED/);
  const bad = await runCli(['console', '--data', data, '--user', 'alice'], { input: 'spawn nothing-here\n' });
  t.equal(bad.code, 1, 'a failed command gives exit status 1, as on a pipe');
  t.match(bad.stdout.toString(), /error: .*nothing-here/);
  const nobody = await runCli(['console', '--data', data, '--user', 'mallory'], { input: 'status\n' });
  t.equal(nobody.code, 1);
  t.match(nobody.stderr, /^colony: COLONY_NOT_FOUND: no Colony user 'mallory'\n$/);
});

t.test('the local API refuses what breaks its rules, in one FAIL frame, and goes on serving', async (t) => {
  const data = await tmpDir(t);
  const config = validateConfig({ ninep: { listen: ['127.0.0.1:0'] }, ssh: { listen: '127.0.0.1:0' }, peer: { listen: ['127.0.0.1:0'] } }, defaultConfig(false));
  const sup = new Supervisor({ data, log: new MemoryLog(), config });
  await sup.start();
  t.teardown(() => sup.stop());
  const path = join(data, 'console.sock');
  /** Sends bytes, reads until the server closes; returns the frames it sent. */
  const exchange = async (bytes: Buffer) => {
    const sock = connect(path);
    const reader = new FrameReader();
    const frames: Frame[] = [];
    sock.on('data', (b: Buffer) => frames.push(...reader.push(b)));
    sock.write(bytes);
    await new Promise<void>((resolve) => sock.once('close', () => resolve()));
    return frames;
  };
  const failOf = (frames: Frame[]) => (frames.at(-1)?.type === FRAME.FAIL ? parseJson<{ code: string; message: string }>(frames.at(-1)!) : undefined);
  t.match(failOf(await exchange(Buffer.from('colony-console 1 alice\nstatus\n'))), { code: 'COLONY_PROTOCOL' }, 'the old text header');
  t.match(failOf(await exchange(jsonFrame(FRAME.LINE, { line: 'status' }))), { code: 'COLONY_PROTOCOL', message: /not a colony-local 1 client/ }, 'no hello');
  const hello = jsonFrame(FRAME.HELLO, { protocol: 'colony-local', version: 1 });
  t.match(failOf(await exchange(Buffer.concat([hello, encodeFrame(FRAME.STDIN, 'x')]))), { code: 'COLONY_PROTOCOL', message: /out of turn/ });
  t.match(failOf(await exchange(Buffer.concat([hello, jsonFrame(FRAME.EXEC, { argv: ['scores'], cwd: '/', tty: { stdin: false, stdout: false, stderr: false } })]))),
    { code: 'COLONY_UNSUPPORTED' }, 'a supervisor started without localExec runs no commands');
  const ok = await runCli(['console', '--data', data], { input: 'whoami\n' });
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout.toString(), 'admin (admin)\n', 'still serving');
});

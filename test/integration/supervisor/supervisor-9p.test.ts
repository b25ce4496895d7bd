// The supervisor end to end over 9P: spawn through the ctl file on the unix socket, reach
// the environment by its token over TCP, lose it on boom, and keep disk environments
// across a restart.
import { createServer } from 'node:net';
import t from 'tap';
import { MemoryLog } from '../../../appliance/log.js';
import { NinepClient, L_O_RDWR } from '../../../appliance/ninep/index.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { Supervisor } from '../../../appliance/supervisor/index.js';
import { ctlLine, preparedData, startedSupervisor } from './seeded-supervisor.js';

const ctl = ctlLine;

async function readOver(addr: string, aname: string, path: string, uname = 'root'): Promise<string> {
  const c = await NinepClient.connect(addr);
  try {
    const { fid } = await c.attach(aname, uname);
    const f = await c.walkPath(fid, path);
    await c.open(f);
    return (await c.readAll(f)).toString();
  } finally { c.close(); }
}

t.test('spawn over ctl, read by token over TCP, boom revokes', async (t) => {
  const data = await preparedData(t);
  const { tcp, unix } = await startedSupervisor(t, data);
  const reply = await ctl(unix, 'spawn deb');
  const aname = /aname: (env\/deb\/\S+)/.exec(reply)?.[1];
  t.ok(aname, `the spawn reply names the aname: ${reply}`);
  t.match(reply, /mount -t 9p -o trans=tcp,port=\d+,version=9p2000\.L,access=user,aname=env\/deb\//);
  t.equal(await readOver(tcp, aname!, 'hello'), 'hello from colony\n');
  t.equal(await readOver(unix, 'env/deb', 'hello', 'admin'), 'hello from colony\n', 'the unix socket needs no token');
  await t.rejects(readOver(tcp, 'env/deb', 'hello'), /EACCES/, 'TCP without a token is refused');
  await t.rejects(readOver(tcp, 'env/deb/not-the-token', 'hello'), /EACCES/, 'a wrong token is refused');
  await t.rejects(readOver(tcp, 'ctl', 'status', 'admin'), /EACCES/, 'ctl is not offered over TCP by default');
  t.match(await ctl(unix, 'boom deb'), /boomed deb/);
  await t.rejects(readOver(tcp, aname!, 'hello'), /EACCES/, 'boom revokes the token');
});

t.test('a disk environment keeps its unsaved changes across a supervisor restart', async (t) => {
  const data = await preparedData(t);
  let run = await startedSupervisor(t, data);
  const aname = /aname: (env\/deb\/\S+)/.exec(await ctl(run.unix, 'spawndisk deb'))![1]!;
  const c = await NinepClient.connect(run.tcp);
  const { fid } = await c.attach(aname, 'root', 0);
  const f = await c.walkPath(fid, 'hello');
  await c.open(f, L_O_RDWR);
  await c.write(f, 0, Buffer.from('HELLO'));
  c.close();
  await run.sup.stop();
  run = await startedSupervisor(t, data);
  const status = await ctl(run.unix, 'status');
  t.match(status, /deb/, 'the disk environment is back');
  t.equal(await readOver(run.unix, 'env/deb', 'hello', 'admin'), 'HELLO from colony\n', 'with its unsaved change');
});

t.test('a port in use is a clear start-up error', async (t) => {
  const data = await preparedData(t);
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const config = validateConfig({ ninep: { listen: [`127.0.0.1:${port}`] }, ssh: { listen: '127.0.0.1:0' }, peer: { listen: ['127.0.0.1:0'] }, web: { enabled: false } }, defaultConfig(false));
  const sup = new Supervisor({ data, log: new MemoryLog(), config });
  await t.rejects(sup.start(), /in use|EADDRINUSE/i);
  await sup.stop();
});

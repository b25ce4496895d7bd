// The supervisor wires cpu: the executor opens after the 9P server (it mounts from it) and
// says whether this node can run processes; spawn prints the cpu line with the SSH console's
// real port (or why cpu is unavailable), `node` says the same, the cpu/NAME and proc attach
// names answer, and exec.enabled false leaves it all out. This host has no 9p, so the
// executor is expected to be unavailable here; the QEMU guest tests run processes.
import t from 'tap';
import { NinepClient } from '../../../appliance/ninep/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { Supervisor } from '../../../appliance/supervisor/index.js';
import { ctlLine, preparedData, startedSupervisor } from './seeded-supervisor.js';

const ctl = ctlLine;

async function attachError(addr: string, aname: string, uname: string): Promise<unknown> {
  const c = await NinepClient.connect(addr);
  try { await c.attach(aname, uname); return undefined; } catch (err) { return err; } finally { c.close(); }
}

t.test('spawn and node say how to cpu in, with the SSH port', async (t) => {
  const data = await preparedData(t);
  const { sup, unix, tcp } = await startedSupervisor(t, data);
  t.ok(sup.exec, 'an executor (or its stand-in) runs');
  const why = sup.exec!.unavailable;
  const spawned = await ctl(unix, 'spawn deb');
  t.comment(spawned);
  const cpuLine = why === undefined ? `cpu: ssh -t -p ${sup.sshAddress!.port} admin@HOST cpu deb` : `cpu: unavailable on this node: ${why}`;
  t.match(spawned, new RegExp(`\\nmount: mount -t 9p .*\\n${cpuLine.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n$`), spawned);
  t.match(await ctl(unix, 'node'), why === undefined ? /\ncpu ready\n/ : new RegExp(`\\ncpu unavailable: [^\\n]+\\n`));
  t.match(await attachError(tcp, 'proc', 'admin'), { message: /EACCES|permission|Permission/ }, 'proc is not served over TCP');
  t.match(await attachError(tcp, 'cpu/deb', 'admin'), { message: /EACCES|permission|Permission/ }, 'cpu/NAME over TCP needs the token');
  if (why !== undefined) t.ok(await attachError(unix, 'cpu/deb', 'admin'), 'cpu/deb refused: cpu is unavailable here');
  await sup.stop();
  t.equal(sup.health, 'stopped', 'the executor closes with the rest');
});

t.test('exec.enabled false: no executor, no cpu line', async (t) => {
  const data = await preparedData(t);
  const config = validateConfig({ ninep: { listen: ['127.0.0.1:0'] }, ssh: { listen: '127.0.0.1:0' }, peer: { listen: [] }, discovery: { enabled: false }, exec: { enabled: false } }, defaultConfig(false));
  const sup = new Supervisor({ data, log: new MemoryLog(), config });
  await sup.start();
  t.teardown(() => sup.stop().catch(() => {}));
  t.equal(sup.exec, undefined);
  const spawned = await ctl(`${data}/9p.sock`, 'spawn deb');
  t.match(spawned, /\nmount: mount -t 9p [^\n]*\n$/, 'the mount line is the last');
  t.notMatch(await ctl(`${data}/9p.sock`, 'node'), /cpu/);
  t.ok(await attachError(`${data}/9p.sock`, 'cpu/deb', 'admin'), 'cpu/deb: not enabled');
});

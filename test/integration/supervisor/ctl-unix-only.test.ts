// `ctl` acts as the attach's uname, which 9P cannot prove: it is served on the unix socket
// only (its 0600 mode is the credential) and refused over TCP, even to uname=admin.
import t from 'tap';
import { NinepClient, L_O_RDWR } from '../../../appliance/ninep/index.js';
import type { Catalog } from '../../../appliance/catalog/index.js';
import type { Grid } from '../../../appliance/grid/index.js';
import { silentLog } from '../../../appliance/log.js';
import { gridRouter, type RouteOptions } from '../../../appliance/supervisor/ninep-routes.js';
import { preparedData, startedSupervisor } from './seeded-supervisor.js';

async function ctlWrite(addr: string, uname: string, line: string): Promise<string> {
  const c = await NinepClient.connect(addr);
  try {
    const { fid } = await c.attach('ctl', uname);
    const f = await c.walkPath(fid, 'ctl');
    await c.open(f, L_O_RDWR);
    await c.write(f, 0, Buffer.from(line));
    return (await c.readAll(f)).toString();
  } finally { c.close(); }
}

t.test('ctl over TCP is refused whatever the uname; the unix socket serves it', async (t) => {
  const data = await preparedData(t);
  const { tcp, unix } = await startedSupervisor(t, data);
  for (const uname of ['admin', 'nobody', '']) {
    await t.rejects(ctlWrite(tcp, uname, 'users add mallory --admin'), /EACCES/, `attach ctl over TCP as ${JSON.stringify(uname)} is refused`);
  }
  const users = await ctlWrite(unix, 'admin', 'users list');
  t.notMatch(users, /mallory/, 'nothing ran over TCP');
  t.match(users, /admin/, 'the unix socket serves ctl with the account verbs');
});

t.test('the router refuses ctl over TCP even when handed the old tcpCtl switch', async (t) => {
  const catalog = { getUser: (name: string) => ({ name, role: 'admin', keys: [], hasPassword: true }) } as unknown as Catalog;
  // What a wiring from before the option was removed passed: the router must not honour it.
  const opts = { grid: {} as Grid, catalog, log: silentLog, tcpCtl: true } as RouteOptions;
  const route = gridRouter(opts);
  const req = (kind: 'tcp' | 'unix' | 'stream') => ({ aname: 'ctl', uname: 'admin', nUname: undefined, dialect: '9P2000.L' as const, transport: { kind, peer: 'x' } });
  await t.rejects(route(req('tcp')), { code: 'COLONY_PERMISSION', message: /unix socket DATA\/9p\.sock only; over the network use the SSH console/ });
  await t.rejects(route(req('stream')), { code: 'COLONY_PERMISSION' }, 'nor over any transport that is not the guarded socket');
  const ok = await route(req('unix'));
  t.equal(ok.user.uname, 'admin', 'the unix socket attaches');
});

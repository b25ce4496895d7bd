// The attaches the Linux v9fs client sends, replayed at the protocol level against a real
// supervisor: the mount's attach (uname=OWNER, no n_uname), then, for access=user and
// access=client, one attach per local user with an EMPTY uname and only n_uname, all on
// the same connection. access=<uid> and access=any use the mount's attach for everything.
import t, { type Test } from 'tap';
import { L_O_CREAT, L_O_RDONLY, L_O_RDWR, NinepClient } from '../../../appliance/ninep/index.js';
import { errnoFor, E } from '../../../appliance/ninep/errno.js';
import { preparedData, startedSupervisor } from '../supervisor/seeded-supervisor.js';

async function supervisorWithEnv(t: Test) {
  const { unix, tcp } = await startedSupervisor(t, await preparedData(t));
  const ctl = await NinepClient.connect(unix);
  const { fid } = await ctl.attach('ctl', 'admin');
  const f = await ctl.walkPath(fid, 'ctl');
  await ctl.open(f, L_O_RDWR);
  await ctl.write(f, 0, Buffer.from('spawn deb'));
  const token = /aname: (env\/deb\/\S+)/.exec((await ctl.readAll(f)).toString())![1]!;
  ctl.close();
  const connect = async (addr: string) => { const c = await NinepClient.connect(addr, { msize: 65536 }); t.teardown(() => c.close()); return c; };
  return { unix, tcp, token, connect };
}

/** ls of the root and mkdir in it (root-owned, 0755), through `fid`. */
async function lsAndMkdir(c: NinepClient, fid: number, dir: string): Promise<string[]> {
  const d = await c.walkPath(fid, '');
  await c.open(d, L_O_RDONLY);
  const names = (await c.readdir(d)).map((e) => e.name);
  await c.clunk(d);
  const m = await c.walkPath(fid, '');
  await c.mkdir(m, dir, 0o755, 0);
  await c.clunk(m);
  return names;
}

t.test('env/NAME on the unix socket: the per-user attaches with an empty uname work (access=user, access=client)', async (t) => {
  const { unix, connect } = await supervisorWithEnv(t);
  const c = await connect(unix);
  await c.attach('env/deb', 'admin'); // the mount's attach: uname=OWNER, n_uname absent
  const asRoot = await c.attach('env/deb', '', 0); // root touching the mount
  t.ok((await lsAndMkdir(c, asRoot.fid, 'made-by-root')).includes('hello'), 'ls as root lists the environment');
  const asAlice = await c.attach('env/deb', '', 1000);
  const d = await c.walkPath(asAlice.fid, '');
  await c.open(d, L_O_RDONLY);
  t.ok((await c.readdir(d)).some((e) => e.name === 'made-by-root'), 'ls as uid 1000');
  const m = await c.walkPath(asAlice.fid, '');
  t.equal(await c.mkdir(m, 'not-mine', 0o755, 1000).then(() => 0, errnoFor), E.EACCES, 'uid 1000 is still checked as uid 1000');
  const tmp = await c.walkPath(asRoot.fid, '');
  await c.lcreate(tmp, 'by-root', L_O_RDWR | L_O_CREAT, 0o644, 0);
  t.equal((await c.getattr(tmp)).uid, 0, 'what root creates belongs to root');
});

t.test('env/NAME with one attach for everyone (access=0, access=any): root may mkdir in a root-owned directory', async (t) => {
  const { unix, connect } = await supervisorWithEnv(t);
  const c = await connect(unix);
  const { fid } = await c.attach('env/deb', 'admin');
  t.ok((await lsAndMkdir(c, fid, 'made')).includes('hello'));
  const made = await c.walkPath(fid, 'made');
  t.equal((await c.getattr(made)).uid, 0, 'the owner acts as root inside the environment');
});

t.test('an empty uname with nothing attached before names no owner, and is refused', async (t) => {
  const { unix, connect } = await supervisorWithEnv(t);
  const c = await connect(unix);
  t.equal(await c.attach('env/deb', '', 0).then(() => 0, errnoFor), E.EACCES);
  const other = await connect(unix);
  await other.attach('env/deb', 'admin');
  t.equal(await c.attach('env/deb', '', 0).then(() => 0, errnoFor), E.EACCES, "another connection's mount does not count");
  t.equal(await c.attach('env/deb', 'mallory', 0).then(() => 0, errnoFor), E.ENOENT, 'another user has no environment of that name');
});

t.test('env/NAME/TOKEN: the per-user attaches and a single attach with a numeric uname', async (t) => {
  const { tcp, token, connect } = await supervisorWithEnv(t);
  const c = await connect(tcp);
  await c.attach(token, 'nobody');
  const asRoot = await c.attach(token, '', 0);
  t.ok((await lsAndMkdir(c, asRoot.fid, 'by-token')).includes('hello'));
  const single = await connect(tcp);
  const { fid } = await single.attach(token, '0'); // access=0 with uname=0
  t.ok((await lsAndMkdir(single, fid, 'by-uname-0')).includes('by-token'));
  const nobody = await connect(tcp);
  const n = await nobody.attach(token, 'nobody');
  t.equal(await lsAndMkdir(nobody, n.fid, 'x').then(() => 0, errnoFor), E.EACCES, 'uname=nobody acts as nobody');
});

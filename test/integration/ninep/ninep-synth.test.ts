import t from 'tap';
import { L_O_RDONLY, L_O_RDWR, L_O_WRONLY, OREAD } from '../../../appliance/ninep/constants.js';
import { E, errnoFor } from '../../../appliance/ninep/errno.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { SynthFs, synthDir, synthFile } from '../../../appliance/ninep/synth.js';
import { serve } from './harness.js';

/** A ctl tree shaped like the grid's: scores, status, ctl, env/NAME/{status,ctl}. */
function ctlTree() {
  const envs = new Map<string, string>([['web', 'running']]);
  let reads = 0;
  const tree = new SynthFs(synthDir({
    scores: synthFile({ read: () => 'debian\tb3:aaaa\n' }),
    status: synthFile({ read: () => `reads ${++reads}\nenvs ${envs.size}\n` }),
    ctl: synthFile({
      write: (c, data) => {
        const [verb, name] = data.toString().trim().split(/\s+/);
        if (verb === 'spawn' && name) { envs.set(name, 'running'); return `spawned ${name} for ${c.uname}\naname env/${name}/tok\n`; }
        if (verb === 'boom' && name && envs.delete(name)) return `boomed ${name}\n`;
        throw Object.assign(new Error('unknown'), {});
      },
    }),
    env: synthDir(() => Object.fromEntries([...envs].map(([name, state]) => [name, synthDir({
      status: synthFile({ read: () => `${state}\n` }),
      ctl: synthFile({ write: (_c, d) => `${name}: ${d.toString().trim()} ok\n` }),
    })]))),
  }));
  return { tree, envs };
}

async function ctl(t: Parameters<typeof serve>[0], version?: string) {
  const { tree, envs } = ctlTree();
  const s = await serve(t, { router: routeTable({ ctl: async (req) => ({ backend: tree, root: tree.root, user: { uid: 0, gid: 0, uname: req.uname } }) }) });
  const c = await s.client(version ? { version } : {});
  const root = await c.attach('ctl', 'alice');
  return { tree, envs, c, root: root.fid };
}

t.test('read files are computed per open fid; re-reading from 0 refreshes', async (t) => {
  const { tree, c, root } = await ctl(t);
  const f = await c.walkPath(root, 'status');
  await c.open(f, L_O_RDONLY);
  t.equal((await c.readAll(f)).toString(), 'reads 1\nenvs 1\n');
  t.equal((await c.read(f, 6, 100)).toString(), '1\nenvs 1\n', 'a later offset reads the same snapshot');
  t.equal((await c.readAll(f)).toString(), 'reads 2\nenvs 1\n');
  await c.clunk(f);
  t.equal(tree.openHandles, 0);
});

t.test('a write to ctl runs a command; reading the same fid returns its reply', async (t) => {
  const { envs, c, root } = await ctl(t);
  const f = await c.walkPath(root, 'ctl');
  await c.open(f, L_O_RDWR);
  await c.write(f, 0, Buffer.from('spawn db\n'));
  t.equal((await c.readAll(f)).toString(), 'spawned db for alice\naname env/db/tok\n');
  t.ok(envs.has('db'));
  const other = await c.walkPath(root, 'ctl');
  await c.open(other, L_O_RDWR);
  t.equal((await c.readAll(other)).toString(), '', 'another fid does not see the reply');
  t.equal(await c.write(other, 0, Buffer.from('nonsense')).then(() => 0, errnoFor), E.EIO, 'a failing command fails the write');
  const env = await c.walkPath(root, 'env');
  await c.open(env, L_O_RDONLY);
  t.same((await c.readdir(env)).map((e) => e.name), ['.', '..', 'web', 'db'], 'computed directories list what exists now');
  const envCtl = await c.walkPath(root, 'env/db/ctl');
  await c.open(envCtl, L_O_WRONLY);
  await c.write(envCtl, 0, Buffer.from('stop'));
  t.equal(await c.walkPath(root, 'env/zzz/status').then(() => 0, errnoFor), E.ENOENT);
});

t.test('synthetic files refuse what makes no sense for them', async (t) => {
  const { c, root } = await ctl(t);
  const scores = await c.walkPath(root, 'scores');
  t.equal(await c.open(scores, L_O_WRONLY).then(() => 0, errnoFor), E.EROFS);
  t.equal(await c.mkdir(root, 'x').then(() => 0, errnoFor), E.EROFS, 'no mkdir in a synthetic tree');
  const attr = await c.getattr(scores);
  t.equal(attr.mode & 0o777, 0o444);
  t.equal((await c.getattr(await c.walkPath(root, 'ctl'))).mode & 0o777, 0o220);
});

t.test('the same tree over 9P2000: Plan 9 style directory reads and ctl writes', async (t) => {
  const { c, root } = await ctl(t, '9P2000');
  const d = await c.walk(root, []);
  await c.open(d.fid, OREAD);
  t.same((await c.readdir(d.fid)).map((e) => e.name), ['scores', 'status', 'ctl', 'env']);
  const f = await c.walkPath(root, 'ctl');
  await c.open(f, 2);
  await c.write(f, 0, Buffer.from('boom web'));
  t.equal((await c.readAll(f)).toString(), 'boomed web\n');
});

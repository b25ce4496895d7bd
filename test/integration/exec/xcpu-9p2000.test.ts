// The xcpu tree as a Plan 9 client scripts it (9P2000: Topen modes, Rerror strings), and
// the shell's way on Linux (open with O_TRUNC, then a truncate, then the write).
import t from 'tap';
import { xcpuTree } from '../../../appliance/exec/xcpu.js';
import { L_O_RDONLY, L_O_TRUNC, L_O_WRONLY, OREAD, ORDWR, OTRUNC, OWRITE } from '../../../appliance/ninep/constants.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { serve } from '../ninep/harness.js';
import { fakeExec } from '../../unit/exec/fake-exec.js';

async function setup(t: Parameters<typeof serve>[0], version?: string) {
  const exec = fakeExec(t, { debian: { owner: 'alice' } });
  const tree = xcpuTree(exec, 'alice', 'debian');
  t.teardown(() => tree.close());
  const s = await serve(t, { router: routeTable({ 'cpu/': async (req) => ({ backend: tree, root: tree.root, user: { uid: 1000, gid: 1000, uname: req.uname } }) }) });
  const c = await s.client(version ? { version } : {});
  return { c, root: (await c.attach('cpu/debian', 'alice')).fid };
}

t.test('9P2000: clone, exec, stdout, wait; errors as Plan 9 strings', async (t) => {
  const { c, root } = await setup(t, '9P2000');
  const cl = await c.walkPath(root, 'clone');
  await c.open(cl, ORDWR);
  const n = (await c.read(cl, 0, 32)).toString().trim();
  await c.write(cl, 0, Buffer.from("exec sh -c 'echo from plan 9; exit 4'"));
  const out = await c.walkPath(root, `${n}/stdout`);
  await c.open(out, OREAD);
  t.equal((await c.readAll(out)).toString(), 'from plan 9\n');
  const wait = await c.walkPath(root, `${n}/wait`);
  await c.open(wait, OREAD);
  t.equal((await c.readAll(wait)).toString(), '4\n');
  const ctl = await c.walkPath(root, `${n}/ctl`);
  await c.open(ctl, OWRITE | OTRUNC);
  await t.rejects(c.write(ctl, 0, Buffer.from('exec true')), /bad argument/, 'a second exec: Rerror "bad argument"');
  const dir = await c.walkPath(root, '');
  await c.open(dir, OREAD);
  t.same((await c.readdir(dir)).map((e) => e.name), ['clone', n], 'Plan 9 directory reads list the sessions');
});

t.test("Linux shell style: `n=$(cat clone)`, `echo exec … > N/ctl`, `cat N/stdout`", async (t) => {
  const { c, root } = await setup(t);
  const cl = await c.walkPath(root, 'clone');
  await c.open(cl, L_O_RDONLY);
  const n = (await c.readAll(cl)).toString().trim();
  await c.clunk(cl);
  const ctl = await c.walkPath(root, `${n}/ctl`);
  await c.open(ctl, L_O_WRONLY | L_O_TRUNC);
  await c.rpc({ type: 'Tsetattr', fid: ctl, valid: 0x8, mode: 0, uid: 0, gid: 0, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 });
  await c.write(ctl, 0, Buffer.from('exec echo shell\n'));
  await c.clunk(ctl);
  const out = await c.walkPath(root, `${n}/stdout`);
  await c.open(out, L_O_RDONLY);
  t.equal((await c.readAll(out)).toString(), 'shell\n', 'the session outlived the clone fid');
});

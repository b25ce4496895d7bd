import { PassThrough, Readable } from 'node:stream';
import t from 'tap';
import { parseCommand } from '../../../appliance/cli/command.js';
import { ninep } from '../../../appliance/cli/ninep-commands.js';
import { MemFs } from '../../../appliance/ninep/memfs.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { SynthFs, synthDir, synthFile } from '../../../appliance/ninep/synth.js';
import { serve } from './harness.js';

/** Runs `colony 9p ARGV` in-process (main.ts registration belongs to the lead). */
async function colony9p(argv: string[], stdin = ''): Promise<{ code: number; out: string }> {
  const { ctx } = parseCommand(ninep, argv, {});
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (b: Buffer) => chunks.push(b));
  const code = await ninep.run({ ...ctx, cwd: process.cwd(), out, err: new PassThrough(), stdin: Readable.from([Buffer.from(stdin)]) });
  return { code, out: Buffer.concat(chunks).toString() };
}

t.test('colony 9p ls, cat, stat and write against ctl and an environment', async (t) => {
  const fs = new MemFs();
  fs.writeFile('etc/motd', 'welcome\n');
  const ctl = new SynthFs(synthDir({
    status: synthFile({ read: () => 'ok\n' }),
    ctl: synthFile({ write: (c, d) => `did '${d.toString()}' as ${c.uname}\n` }),
  }));
  const s = await serve(t, {
    router: routeTable({
      ctl: async (req) => ({ backend: ctl, root: ctl.root, user: { uid: 0, gid: 0, uname: req.uname } }),
      'env/': async (req) => ({ backend: fs, root: fs.root, user: { uid: 0, gid: 0, uname: req.uname } }),
    }),
  });
  t.same(await colony9p(['ls', s.addr, '/']), { code: 0, out: 'status\nctl\n' });
  t.same(await colony9p(['--aname', 'ctl', 'cat', s.addr, 'status']), { code: 0, out: 'ok\n' });
  t.same(await colony9p(['--aname', 'ctl', '--uname', 'bob', 'write', s.addr, 'ctl', 'spawn debian']), { code: 0, out: "did 'spawn debian' as bob\n" });
  t.same(await colony9p(['write', s.addr, 'ctl'], 'from stdin'), { code: 0, out: "did 'from stdin' as " + (await import('node:os')).userInfo().username + '\n' });
  t.same(await colony9p(['--aname', 'env/web', 'ls', s.addr, '']), { code: 0, out: 'etc/\n' });
  t.same(await colony9p(['--aname', 'env/web', 'cat', s.addr, 'etc/motd']), { code: 0, out: 'welcome\n' });
  const st = await colony9p(['--aname', 'env/web', 'stat', s.addr, 'etc/motd']);
  t.match(st.out, /^-rw-r--r-- 1 0 0 8 \S+ etc\/motd\n$/);
  const js = await colony9p(['--aname', 'env/web', '--json', 'stat', s.addr, 'etc']);
  t.match(JSON.parse(js.out), { mode: 'drwxr-xr-x', path: 'etc' });
  await t.rejects(colony9p(['--aname', 'env/web', 'cat', s.addr, 'nope']), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(colony9p(['frob', s.addr, 'x']), { code: 'COLONY_USAGE' });
});

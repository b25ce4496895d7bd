// The xattr layer on its own, against real files: how a path reaches @napi-rs/xattr (which
// takes UTF-8 strings only), what goes to the perl helper, that no symlink is ever
// followed, and what a file system without xattrs gives.
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { XattrAddress, readXattrsSync, writeXattrsSync } from '../../../appliance/snapshot/xattr.js';
import { readXattrsByHelper, writeXattrsByHelper } from '../../../appliance/snapshot/xattr-helper.js';
import { tmpDir } from '../../helpers/tmp.js';
import { ensureApt } from './fixture.js';

ensureApt('attr'); // the test's own judge, getfattr

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const binary = Buffer.from([0, 0xff, 0x0a, 0x3d, 0]);
const x = (name: string | Buffer, value: Buffer | string) => ({ name: typeof name === 'string' ? Buffer.from(name) : name, value: Buffer.from(value) });
/** getfattr's view of `path` under `root` (the tree is dumped, since argv cannot carry every byte): name=value lines, names as latin1. */
function judge(root: string, path: Buffer): string[] {
  const unescape = (l: string) => l.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const dump = execFileSync('getfattr', ['-R', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root], { encoding: 'latin1' });
  for (const block of dump.split('\n\n')) {
    const [head, ...lines] = block.split('\n').filter(Boolean);
    if (head && unescape(head.slice('# file: '.length)) === path.toString('latin1')) return lines.map(unescape);
  }
  return [];
}

t.test('a path reaches the binding as itself, through /proc/self/fd, or not at all', async (t) => {
  const dir = await tmpDir(t);
  const odd = Buffer.concat([latin1(`${dir}/r\xe9p`)]);
  await mkdir(odd);
  const inside = Buffer.concat([odd, latin1('/inside')]);
  await writeFile(inside, 'x');
  const address = new XattrAddress();
  t.teardown(() => address.close());
  t.equal(address.of(Buffer.from(`${dir}/plain`)), `${dir}/plain`, 'UTF-8: the path itself');
  const viaProc = address.of(inside);
  t.match(viaProc, /^\/proc\/self\/fd\/\d+\/inside$/, 'a parent that is not UTF-8: its fd, then the name');
  t.equal(address.of(latin1(`${dir}/caf\xe9`)), undefined, 'a final name that is not UTF-8: only the helper');

  t.ok(writeXattrsSync(viaProc!, [x('user.a', binary)], inside));
  t.same(judge(dir, inside), ['user.a=0x00ff0a3d00'], 'written to the file itself, not to the /proc link');
  t.same(readXattrsSync(viaProc!, inside), [x('user.a', binary)]);
});

t.test('symlinks are never followed, by the binding or by the helper', async (t) => {
  const dir = await tmpDir(t);
  const target = Buffer.from(join(dir, 'target'));
  const link = Buffer.from(join(dir, 'link'));
  await writeFile(target, 't');
  await symlink('target', link);
  execFileSync('setfattr', ['-n', 'user.on-target', '-v', 'yes', target.toString()]);
  t.same(readXattrsSync(link.toString(), link), [], 'the binding reads the link, which has none');
  t.same(await readXattrsByHelper([link]), [[]], 'so does the helper');
  // Linux refuses user.* on a symlink (EPERM): had either followed it, the target would take it.
  t.throws(() => writeXattrsSync(link.toString(), [x('user.new', 'v')], link), { code: 'COLONY_PERMISSION' });
  await t.rejects(writeXattrsByHelper([{ path: link, xattrs: [x('user.new', 'v')] }]), { code: 'COLONY_PERMISSION' });
  t.same(judge(dir, target), ['user.on-target=0x796573'], 'the target is untouched');
});

t.test('names and paths that are not UTF-8 go to the helper and stay exact', async (t) => {
  const dir = await tmpDir(t);
  const file = Buffer.from(join(dir, 'f'));
  const oddFile = latin1(`${dir}/caf\xe9`);
  await writeFile(file, 'f');
  await writeFile(oddFile, 'g');
  const odd = x(latin1('user.na\xefve'), binary);
  t.equal(writeXattrsSync(file.toString(), [x('user.ok', 'v'), odd], file), false, 'the binding cannot name it');
  t.same(judge(dir, file), [], 'and sets nothing rather than half');
  await writeXattrsByHelper([{ path: file, xattrs: [x('user.ok', 'v'), odd] }, { path: oddFile, xattrs: [x('user.z', '')] }, { path: file, xattrs: [] }]);
  t.same(judge(dir, file), ['user.na\xefve=0x00ff0a3d00', 'user.ok=0x76']);
  t.equal(readXattrsSync(file.toString(), file), null, 'listing such a name is beyond the binding');
  t.same(await readXattrsByHelper([file, oddFile]), [[odd, x('user.ok', 'v')], [x('user.z', '')]], 'sorted by name bytes, values exact');
  await t.rejects(readXattrsByHelper([Buffer.from(join(dir, 'missing'))]), { code: 'COLONY_NOT_FOUND' });
});

t.test('a file system without xattrs reads as none and refuses writes with COLONY_UNSUPPORTED', async (t) => {
  const proc = Buffer.from('/proc/self/status'); // procfs has no xattr handlers
  t.same(readXattrsSync(proc.toString(), proc), []);
  t.throws(() => writeXattrsSync(proc.toString(), [x('user.a', 'b')], proc), { code: 'COLONY_UNSUPPORTED', message: /does not support/ });
  await t.rejects(writeXattrsByHelper([{ path: proc, xattrs: [x(latin1('user.\xe9'), 'b')] }]), { code: 'COLONY_UNSUPPORTED' });
});

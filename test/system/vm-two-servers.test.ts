// Two 9P servers in one guest: the server under test at /mnt and a second one (a reference,
// for side-by-side runs) under /tmp, each on its own virtio-serial port.
import t from 'tap';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tmp.js';
import { requireVm, runGuest, startDiod } from '../helpers/vm.js';

if (await requireVm(t)) {
  t.test('two servers in one VM: /mnt and a second mount under /tmp', async (t) => {
    const dir = await tmpDir(t, 'colony-vm-two-');
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    await Promise.all([mkdir(join(dir, 'sa')), mkdir(join(dir, 'sb')), mkdir(a), mkdir(b)]);
    const first = await startDiod(t, join(dir, 'sa'), a);
    const second = await startDiod(t, join(dir, 'sb'), b);
    const r = await runGuest({
      socket: first.socket,
      mount: { aname: first.aname, uname: 'root' },
      also: [{ socket: second.socket, mount: { aname: second.aname, uname: 'root', cache: 'loose' }, at: '/tmp/ref' }],
      script: 'echo one >/mnt/f && echo two >/tmp/ref/f && cp /mnt/f /tmp/ref/copied && mount | grep -c "type 9p (.*trans=fd"',
      timeoutMs: 180_000,
    });
    t.ok(r.mounted, 'both mounted', { bootLog: r.bootLog });
    t.equal(r.rc, 0, r.output);
    t.equal(r.output.trim(), '2', 'two trans=fd mounts');
    t.equal(await readFile(join(a, 'f'), 'utf8'), 'one\n');
    t.equal(await readFile(join(b, 'f'), 'utf8'), 'two\n');
    t.equal(await readFile(join(b, 'copied'), 'utf8'), 'one\n');
  });
}

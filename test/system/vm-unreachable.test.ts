// The harness fails fast and says why when the 9P server is not there or refuses the mount,
// rather than leaving a guest waiting on a port nobody answers.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tmp.js';
import { guestTcpHost, runGuest, startDiod, requireVm, VmError } from '../helpers/vm.js';
import { freePort } from '../helpers/colony-server.js';

if (await requireVm(t)) {
  t.test('no socket at the path: VM_SERVER_UNREACHABLE', async (t) => {
    const dir = await tmpDir(t, 'colony-vm-');
    const err = await runGuest({ socket: join(dir, 'nobody.sock'), script: 'true', timeoutMs: 60_000 }).catch((e: unknown) => e);
    t.type(err, VmError);
    t.match(err, { code: 'VM_SERVER_UNREACHABLE', message: /nobody\.sock/ });
  });

  t.test('a file that is not a listening socket: VM_SERVER_UNREACHABLE', async (t) => {
    const dir = await tmpDir(t, 'colony-vm-');
    const path = join(dir, 'plain.sock');
    await writeFile(path, '');
    const err = await runGuest({ socket: path, script: 'true', timeoutMs: 60_000 }).catch((e: unknown) => e);
    t.match(err, { code: 'VM_SERVER_UNREACHABLE', message: /is it listening/ });
  });

  t.test('a stale socket left by a killed server: VM_SERVER_UNREACHABLE', async (t) => {
    const dir = await tmpDir(t, 'colony-vm-');
    const path = join(dir, 'stale.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.pid) process.kill(child.pid, 'SIGKILL');
    await exited;
    const err = await runGuest({ socket: path, script: 'true', timeoutMs: 60_000 }).catch((e: unknown) => e);
    t.match(err, { code: 'VM_SERVER_UNREACHABLE', message: /Connection refused/ });
  });

  t.test('nothing listens on a forwarded tcp port: VM_SERVER_UNREACHABLE', async (t) => {
    const port = await freePort();
    const err = await runGuest({
      tcp: { port, command: `mount -t 9p -o trans=tcp,port=${port},version=9p2000.L ${guestTcpHost} /mnt` },
      script: 'true',
      timeoutMs: 60_000,
    }).catch((e: unknown) => e);
    t.type(err, VmError);
    t.match(err, { code: 'VM_SERVER_UNREACHABLE', message: new RegExp(`127\\.0\\.0\\.1:${port}`) });
  });

  t.test('a mount the server refuses: mounted=false with the reason in the boot log', async (t) => {
    const dir = await tmpDir(t, 'colony-vm-');
    const exportDir = join(dir, 'export');
    await mkdir(exportDir);
    const diod = await startDiod(t, dir, exportDir);
    const r = await runGuest({
      socket: diod.socket,
      mount: { aname: join(dir, 'not-exported'), uname: 'root' },
      script: 'echo should-not-run',
      timeoutMs: 120_000,
    });
    t.equal(r.mounted, false);
    t.equal(r.rc, -1);
    t.notMatch(r.output, /should-not-run/);
    t.match(r.bootLog, /@@MOUNT fail \/mnt/);
  });
}

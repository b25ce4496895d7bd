// Two things the real Linux client must see from Colony:
// - plain 9P2000 (version=9p2000, Plan 9 semantics: no .L or .u extensions) still lists,
//   reads and writes, and `save` keeps what it wrote;
// - `boom` over SSH while the environment is mounted reaches the guest as EIO or ENOTCONN
//   (ECONNRESET for a request in flight) on its next operation, and the supervisor stays healthy: status answers, a new spawn works.
// Both on a real `colony serve`: the first mounts the line `spawn` printed over trans=tcp, the
// second the unix socket DATA/9p.sock (see below why).
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireVm, runGuest } from '../helpers/vm.js';
import { guestMountLine, saidBy, startSupervisor } from '../helpers/colony-server.js';

if (await requireVm(t)) {
  t.test('plain 9P2000: ls, read and write', async (t) => {
    const colony = await startSupervisor(t);
    const spawned = await colony.spawn({ as: 'plan9', via: 'ctl' });
    // The printed line with version=9p2000 appended (the kernel takes the last version=), and
    // uname=root: plain 9P2000 carries no numeric uid, so the server knows the user by name
    // only (the kernel's default is nobody, who may not write the root-owned root).
    const command = guestMountLine(spawned.mount, colony.ninepPort, { cache: 'none', uname: 'root', extra: 'version=9p2000' });
    const r = await runGuest({
      tcp: { port: colony.ninepPort, command },
      script: [
        'set -euo pipefail',
        'printf "plan nine\\n" >p.txt',
        'echo "read=$(cat p.txt)"',
        'printf "more\\n" >>p.txt',
        'mkdir d && printf "deep\\n" >d/f',
        'echo "ls=$(ls | tr "\\n" " ")"',
        'echo "lsd=$(ls d)"',
        'echo "size=$(stat -c %s p.txt)"',
        'echo "reread=$(tr "\\n" + <p.txt)"',
        'mv d/f d/g && echo "renamed=$(cat d/g)"',
        'rm d/g && rmdir d && echo "ls2=$(ls | tr "\\n" " ")"',
      ].join('\n'),
      timeoutMs: 180_000,
    });
    t.ok(r.mounted, `mounted with ${command}`, { bootLog: r.bootLog });
    t.equal(r.rc, 0, 'the guest script succeeded', { output: r.output });
    const said = saidBy(r.output);
    t.equal(said.read, 'plan nine');
    t.equal(said.ls, 'd p.txt ');
    t.equal(said.lsd, 'f');
    t.equal(said.size, '15');
    t.equal(said.reread, 'plan nine+more+');
    t.equal(said.renamed, 'deep');
    t.equal(said.ls2, 'p.txt ');
    const exported = await colony.saveStopExport('plan9', 'plan9-saved');
    t.equal(await readFile(join(exported, 'p.txt'), 'utf8'), 'plan nine\nmore\n', 'the saved and exported snapshot holds what the guest wrote');
  });

  t.test('boom over SSH while mounted: the guest sees the cut, the supervisor stays healthy', async (t) => {
    const colony = await startSupervisor(t);
    const spawned = await colony.spawn({ as: 'doomed', via: 'ssh' });
    // Through DATA/9p.sock (env/NAME as the owner), not the TCP forward: QEMU's forward never
    // tells the guest that the server hung up, so the guest would wait, not see the boom.
    // Boom once the guest says it is ready (a line on its console).
    let seen = '';
    let boom: Promise<{ code: number | null; stdout: string; stderr: string }> | undefined;
    const r = await runGuest({
      socket: colony.socket,
      mount: { version: '9p2000.L', aname: 'env/doomed', uname: 'admin', access: 'user', cache: 'none', msize: 65536 },
      script: [
        'echo before >kept.txt',
        'echo "ready-for-boom"',
        // The boom (an SSH login and the command) lands within a few seconds; with
        // cache=none every stat goes to the server, so the first one after it fails.
        'for i in $(seq 600); do',
        '  if ! timeout 30 stat -c %s kept.txt >/dev/null 2>/tmp/err; then break; fi',
        '  sleep 0.1',
        'done',
        'echo "polls=$i"',
        'echo "err=$(cat /tmp/err)"',
        'echo "ls_err=$(timeout 30 ls /mnt 2>&1 >/dev/null)"',
      ].join('\n'),
      onConsole: (text) => {
        seen = (seen + text).slice(-200);
        if (!boom && /^ready-for-boom\r?$/m.test(seen)) boom = colony.ssh('boom doomed');
      },
      timeoutMs: 240_000,
    });
    t.ok(r.mounted, 'mounted', { bootLog: r.bootLog });
    t.ok(boom, 'the guest got ready and the host boomed');
    const boomed = await boom;
    t.equal(boomed?.code, 0, 'boom over SSH succeeded', { boomed });
    t.match(boomed?.stdout ?? '', /^boomed doomed/m);
    const said = saidBy(r.output);
    // A request in flight at the cut fails with ECONNRESET (the boom's timing is the SSH login's).
    t.match(said.err ?? '', /Input\/output error|Transport endpoint is not connected|Connection reset by peer/, 'the next operation fails with EIO, ENOTCONN or ECONNRESET', { output: r.output, bootLog: r.bootLog });
    t.match(said.ls_err ?? '', /Input\/output error|Transport endpoint is not connected/, 'and so does the one after', { output: r.output });
    t.comment(`guest saw: ${said.err} (after ${said.polls} polls)`);

    // The supervisor is healthy: it answers, no longer lists the environment, and spawns again.
    const status = await colony.ssh('status');
    t.equal(status.code, 0, 'status answers after the boom');
    t.notMatch(status.stdout, /doomed/, 'the boomed environment is gone');
    const again = await colony.spawn({ as: 'again', via: 'ctl' });
    t.not(again.aname, spawned.aname, 'a new spawn gets its own token');
  });
}

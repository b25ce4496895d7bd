// Two things the real Linux client must see from Colony's 9P server:
// - plain 9P2000 (version=9p2000, Plan 9 semantics: no .L or .u extensions) still lists,
//   reads and writes;
// - a boom while mounted (the server cuts the environment's route, as the supervisor does on
//   `boom`) reaches the guest as EIO or ENOTCONN on its next operation, and the server stays
//   healthy: a new attach on the same server works and sees what the guest wrote.
import t from 'tap';
import { NinepClient } from '../../appliance/ninep/index.js';
import { requireVm, runGuest } from '../helpers/vm.js';
import { colonyMount, saidBy, startColony } from '../helpers/colony-server.js';

if (await requireVm(t)) {
  t.test('plain 9P2000: ls, read and write', async (t) => {
    const colony = await startColony(t);
    const r = await runGuest({
      socket: colony.socket,
      mount: colonyMount(colony, { version: '9p2000', cache: 'none' }),
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
    t.ok(r.mounted, 'mounted with version=9p2000', { bootLog: r.bootLog });
    t.equal(r.rc, 0, 'the guest script succeeded', { output: r.output });
    const said = saidBy(r.output);
    t.equal(said.read, 'plan nine');
    t.equal(said.ls, 'd p.txt ');
    t.equal(said.lsd, 'f');
    t.equal(said.size, '15');
    t.equal(said.reread, 'plan nine+more+');
    t.equal(said.renamed, 'deep');
    t.equal(said.ls2, 'p.txt ');
    const node = await colony.volume.resolvePath('p.txt');
    t.equal((await colony.volume.read(node.ino, 0, 100)).toString(), 'plan nine\nmore\n', 'the volume holds what the guest wrote');
  });

  t.test('boom while mounted: the guest sees EIO or ENOTCONN, the server stays healthy', async (t) => {
    const colony = await startColony(t);
    let cut = 0;
    // Cut the route once the guest says it is ready (a file in the volume).
    const watcher = (async () => {
      const deadline = Date.now() + 240_000;
      while (Date.now() < deadline) {
        if (await colony.volume.resolvePath('ready').then(() => true, () => false)) {
          cut = colony.server.disconnectRoute(colony.route);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const r = await runGuest({
      socket: colony.socket,
      mount: colonyMount(colony, { access: 'user', cache: 'none' }),
      script: [
        'echo before >kept.txt',
        'echo ready >ready',
        // The host cuts within 100 ms of seeing the file; wait, so the cut lands between
        // operations (a request in flight at the cut fails with ECONNRESET instead).
        'sleep 3',
        // With cache=none every stat goes to the server: the first one after the cut fails.
        'for i in $(seq 600); do',
        '  if ! timeout 30 stat -c %s kept.txt >/dev/null 2>/tmp/err; then break; fi',
        '  sleep 0.1',
        'done',
        'echo "polls=$i"',
        'echo "err=$(cat /tmp/err)"',
        'echo "ls_err=$(timeout 30 ls /mnt 2>&1 >/dev/null)"',
      ].join('\n'),
      timeoutMs: 240_000,
    });
    await watcher;
    t.ok(r.mounted, 'mounted', { bootLog: r.bootLog });
    t.equal(cut, 1, 'the server cut one connection');
    const said = saidBy(r.output);
    t.match(said.err ?? '', /Input\/output error|Transport endpoint is not connected/, 'the next operation fails with EIO or ENOTCONN', { output: r.output, bootLog: r.bootLog });
    t.match(said.ls_err ?? '', /Input\/output error|Transport endpoint is not connected/, 'and so does the one after', { output: r.output });
    t.comment(`guest saw: ${said.err} (after ${said.polls} polls)`);

    // The server is healthy: a new attach works and sees what the guest wrote before the cut.
    t.equal(colony.server.stats().connections, 0, 'no connection left behind');
    const c = await NinepClient.connect(colony.socket);
    t.teardown(() => c.close());
    const { fid: root } = await c.attach(colony.aname, 'root', 0);
    const f = await c.walkPath(root, 'kept.txt');
    await c.open(f);
    t.equal((await c.readAll(f)).toString(), 'before\n', 'a new attach reads the file the guest wrote');
  });
}

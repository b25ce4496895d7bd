// The harness's guest for tests that bring their own server (the cpu tests): no 9P server
// from the host, and `reroot` (the script in a real root: bubblewrap's pivot_root and user
// namespaces, which the kernel refuses to a chrooted process). Also what init always sets
// up: lo, devpts with a working /dev/ptmx, cgroup2 with its controllers, the checkout at
// $COLONY_REPO. Two short boots.
import t from 'tap';
import { requireVm, runGuest } from '../helpers/vm.js';

const probe = [
  'echo "cwd=$(pwd)"',
  'unshare -U true 2>/dev/null && echo userns=yes || echo userns=no',
  'bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev true 2>/dev/null && echo bwrap=yes || echo bwrap=no',
  'echo "controllers=$(cat /sys/fs/cgroup/cgroup.controllers)"',
  'echo "lo=$(cat /sys/class/net/lo/operstate)"',
  'echo "pty=$(script -qc tty /dev/null </dev/null | tr -d "\\r")"',
  'test -f "$COLONY_REPO/package.json" && echo repo=yes || echo repo=no',
  'echo "var=$RUN_VAR"',
].join('\n');

if (await requireVm(t)) {
  t.test('no server, reroot: a real root where bwrap and user namespaces work', async (t) => {
    const r = await runGuest({ script: probe, reroot: true, timeoutMs: 120_000, env: { RUN_VAR: "a 'quoted' value" } });
    t.equal(r.rc, 0, r.output);
    t.ok(r.mounted, 'nothing to mount counts as mounted');
    t.match(r.output, /^cwd=\/tmp$/m, 'cwd /tmp when nothing is mounted at /mnt');
    t.match(r.output, /^userns=yes$/m, 'user namespaces work (not chrooted)');
    t.match(r.output, /^bwrap=yes$/m, 'bwrap --unshare-all works (pivot_root)');
    t.match(r.output, /^controllers=.*\bmemory\b/m, 'cgroup2 mounted with the memory controller');
    t.match(r.output, /^controllers=.*\bpids\b/m);
    t.match(r.output, /^lo=(unknown|up)$/m, 'lo is up');
    t.match(r.output, /^pty=\/dev\/pts\/\d+$/m, 'a pseudo-terminal from /dev/ptmx');
    t.match(r.output, /^repo=yes$/m, '$COLONY_REPO is the checkout');
    t.match(r.output, /^var=a 'quoted' value$/m, 'env reaches the script, quoted');
    t.comment(`boot ${r.ms.boot} ms, script ${r.ms.script} ms`);
  });
  t.test('without reroot the script stays in a chroot, as every other VM test expects', async (t) => {
    const r = await runGuest({ script: probe, timeoutMs: 120_000 });
    t.equal(r.rc, 0, r.output);
    t.match(r.output, /^userns=no$/m, 'the kernel refuses user namespaces to a chrooted process');
    t.match(r.output, /^pty=\/dev\/pts\/\d+$/m, 'devpts is there too');
  });
}

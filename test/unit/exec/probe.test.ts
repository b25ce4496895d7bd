// What a node lacks for cpu, as one line; the facts it is decided from.
import t from 'tap';
import { cgroup2MountOf, cgroup2PathOf, planAvailability, type ExecFacts } from '../../../appliance/exec/probe.js';

const all: ExecFacts = { root: true, bwrap: '/usr/bin/bwrap', setpriv: '/usr/bin/setpriv', mount: '/usr/bin/mount', modprobe: '/usr/sbin/modprobe', ninep: true, cgroup2: '/sys/fs/cgroup', controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] };

t.test('everything there: available', async (t) => {
  t.equal(planAvailability(all), undefined);
});

t.test('one line naming the first thing missing', async (t) => {
  t.match(planAvailability({ ...all, root: false, bwrap: undefined }), /run as root/);
  t.equal(planAvailability({ ...all, bwrap: undefined }), 'cpu needs bubblewrap: install the Debian package bubblewrap');
  t.match(planAvailability({ ...all, setpriv: undefined }), /setpriv from util-linux/);
  t.match(planAvailability({ ...all, ninep: false }), /9p filesystem \(v9fs\).*modprobe 9p/);
  t.equal(planAvailability({ ...all, mount: undefined }), 'cpu needs mount: install the Debian package mount');
  t.match(planAvailability({ ...all, ninep: false, modprobe: undefined }), /no modprobe to load it: install the Debian package kmod$/);
  t.match(planAvailability({ ...all, cgroup2: undefined }), /cgroup v2.*no cgroup2 filesystem/);
  t.equal(planAvailability({ ...all, controllers: ['hugetlb'] }), 'cpu needs the cgroup v2 controllers memory, pids, cpu, not available to the supervisor\'s cgroup');
  t.equal(planAvailability({ ...all, controllers: ['memory', 'pids'] }), 'cpu needs the cgroup v2 controller cpu, not available to the supervisor\'s cgroup');
  for (const f of [{ root: false }, { ninep: false }, { controllers: [] }]) t.notMatch(planAvailability({ ...all, ...f }) ?? '', /\n/);
});

t.test('cgroup2 mount and path from /proc text', async (t) => {
  const mi = '31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n41 31 0:38 / /sys/fs/cgroup/uni\\040fied rw,relatime - cgroup2 cgroup2 rw\n';
  t.equal(cgroup2MountOf(mi), '/sys/fs/cgroup/uni fied');
  t.equal(cgroup2MountOf('31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n'), undefined);
  t.equal(cgroup2PathOf('4:memory:/x\n0::/system.slice/colony.service\n'), '/system.slice/colony.service');
  t.equal(cgroup2PathOf('0::/\n'), '/');
  t.equal(cgroup2PathOf('4:memory:/x\n'), undefined);
});

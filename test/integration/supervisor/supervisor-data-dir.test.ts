// A data directory that refuses writes stops `colony serve` with one clear line and exit
// status 1, never a stack trace: for a user without write permission (the child runs as
// nobody) and for a read-only mount (a bind mount remounted read-only in its own mount
// namespace, so the host sees nothing).
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { tmpDir } from '../../helpers/tmp.js';
import { plainLines, serve, waitForHealth } from './serve-helpers.js';

const isRoot = process.getuid?.() === 0;
const canUnshare = isRoot && spawnSync('unshare', ['-m', 'true']).status === 0;
const NOBODY = 65534;
// tap puts its process recorder into every child's NODE_OPTIONS (it hooks spawn), and the
// recorder writes under .tap/, which nobody may not: `env -u` drops it.
const asNobody = { spawn: { uid: NOBODY, gid: NOBODY }, wrapper: ['env', '-u', 'NODE_OPTIONS'] };

function checkOneLine(t: Test, stderr: string, re: RegExp): void {
  const lines = plainLines(stderr);
  t.equal(lines.length, 1, `exactly one line for people: ${JSON.stringify(lines)}`);
  t.match(lines[0], re);
  t.notMatch(stderr, /\n\s+at |unexpected error/, 'no stack trace');
}

t.test('a data directory the user may not write', { skip: isRoot ? false : 'needs root to run the child as nobody' }, async (t) => {
  const base = await tmpDir(t);
  await chmod(base, 0o755);
  const data = join(base, 'data');
  await mkdir(data, { mode: 0o755 }); // owned by root: nobody may read it, not write it
  const s = serve(t, data, asNobody);
  t.equal(await s.exited, 1);
  checkOneLine(t, s.stderr(), new RegExp(`^colony: COLONY_PERMISSION: the data directory ${data} is not writable by uid ${NOBODY} \\(EACCES\\): give that user write access`));
  t.same(await readdir(data), [], 'nothing was written, not even health.json');

  // A directory nobody may create under.
  const deeper = join(data, 'sub');
  const s2 = serve(t, deeper, asNobody);
  t.equal(await s2.exited, 1);
  checkOneLine(t, s2.stderr(), new RegExp(`^colony: COLONY_PERMISSION: creating ${deeper}: EACCES`));
});

t.test('a read-only mount', { skip: canUnshare ? false : 'needs unshare -m' }, async (t) => {
  const data = await tmpDir(t);
  // First a real data directory, made read-write, then served from a read-only mount.
  const first = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', first);
  first.proc.kill('SIGTERM');
  t.equal(await first.exited, 0);
  const readOnly = ['unshare', '-m', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', data];
  const s = serve(t, data, { wrapper: readOnly });
  t.equal(await s.exited, 1);
  checkOneLine(t, s.stderr(), new RegExp(`^colony: COLONY_PERMISSION: the data directory ${data} is on a read-only file system: mount it read-write`));
});

t.test('a full disk', { skip: canUnshare ? false : 'needs unshare -m' }, async (t) => {
  // tmpfs mounts this small, in the child's own mount namespace, fill up while the store
  // or the catalog is made (which one depends on the size).
  for (const size of ['4k', '16k', '40k']) {
    const data = await tmpDir(t);
    const tiny = ['unshare', '-m', 'sh', '-c', `mount -t tmpfs -o size=${size} tmpfs "$1" && shift && exec "$@"`, 'sh', data];
    const s = serve(t, data, { wrapper: tiny });
    t.equal(await s.exited, 1, `${size}: exit 1`);
    checkOneLine(t, s.stderr(), new RegExp(`^colony: COLONY_NO_SPACE: .*${data}.*; free some space on that disk and start again$`));
  }
});

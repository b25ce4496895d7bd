// With a terminal: output merged on stdout, the window size reaches `stty size`, and a
// resize is seen by the running program.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { MODES, openExecWorld, until } from './helpers.js';

for (const mode of MODES) {
t.test(`sessions found by ${mode}`, async (t) => {
t.test('a pty: merged output, size, resize, and the status', async (t) => {
  const { ex } = await openExecWorld(t, mode);
  const p = await ex.start('alice', 'debian', { tty: { cols: 91, rows: 33, term: 'xterm-256color' }, command: 'stty size; echo "$TERM"; echo err >&2; read x; stty size; exit 4' });
  t.equal(p.stderr, undefined);
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  t.ok(await until(() => out.includes('err')), out);
  t.match(out, /33 91\r\nxterm-256color\r\nerr\r\n/);
  p.resize(120, 40);
  p.stdin.write('go\r');
  t.equal((await p.exited).status, 4);
  t.ok(await until(() => out.includes('40 120')), out);
});

t.test('a login shell with a pty: the prompt is interactive, Ctrl-C reaches the foreground job', async (t) => {
  const { ex, root } = await openExecWorld(t, mode);
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  const p = await ex.start('alice', 'debian', { tty: { cols: 80, rows: 24, term: 'xterm' } });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  p.stdin.write('sleep 30\r');
  await new Promise((r) => setTimeout(r, 500));
  p.stdin.write('\x03');
  p.stdin.write('echo after-$?\r');
  t.ok(await until(() => out.includes('after-130')), out);
  p.stdin.write('hostname; exit 0\r');
  t.same(await p.exited, { code: 0, signal: null, status: 0 }, JSON.stringify(out));
  t.match(out, /debian/);
});
});
}

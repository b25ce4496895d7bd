// DATA/health.json tells the truth: a second `colony serve` that finds the directory taken
// leaves the live supervisor's health alone; a start that fails after taking the directory
// says `error` and why; after kill -9 a reader sees `dead`, not `ready`.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { readHealth } from '../../../appliance/supervisor/health.js';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { plainLines, serve, waitForHealth } from './serve-helpers.js';

t.test('a second instance that fails on the lock leaves the first one ready', async (t) => {
  const data = await tmpDir(t);
  const first = serve(t, data);
  const ready = await waitForHealth(data, (h) => h.state === 'ready', first);
  const second = serve(t, data);
  t.equal(await second.exited, 1, 'the second instance exits 1');
  t.match(second.stderr(), /COLONY_LOCKED/);
  const after = JSON.parse(await readFile(join(data, 'health.json'), 'utf8')) as { state: string; pid: number; updated: string };
  t.equal(after.state, 'ready', 'health still says ready');
  t.equal(after.pid, first.proc.pid, 'with the live pid');
  t.equal(after.updated, (ready as { updated: string }).updated, 'the file was not rewritten');
  first.proc.kill('SIGTERM');
  t.equal(await first.exited, 0);
  t.match(await readHealth(data), { state: 'stopped', alive: false });
});

t.test('after kill -9 a reader sees the supervisor dead, not ready', async (t) => {
  const data = await tmpDir(t);
  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  s.proc.kill('SIGKILL');
  await s.exited;
  const h = await readHealth(data);
  t.match(h, { state: 'dead', written: 'ready', alive: false, pid: s.proc.pid });
  // The next start takes over the directory and reports itself.
  const next = serve(t, data);
  await waitForHealth(data, (x) => x.state === 'ready' && 'pid' in x && x.pid === next.proc.pid, next);
  next.proc.kill('SIGTERM');
  t.equal(await next.exited, 0);
});

t.test('a start that fails after taking the directory writes error, with one line on stderr', async (t) => {
  const data = await tmpDir(t);
  const taken = createServer();
  taken.listen(0, '127.0.0.1');
  await once(taken, 'listening');
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const s = serve(t, data, { args: ['--ssh', `127.0.0.1:${port}`] });
  t.equal(await s.exited, 1);
  const h = await readHealth(data);
  t.match(h, { state: 'error', alive: false });
  t.match((h as { error?: string }).error, new RegExp(`127\\.0\\.0\\.1:${port}`), 'the health file says why');
  const lines = plainLines(s.stderr()).filter((l) => !/one-time password|shown only now/.test(l));
  t.equal(lines.length, 1, `one plain line: ${lines.join(' | ')}`);
  t.match(lines[0], new RegExp(`^colony: COLONY_IO: listening for SSH on 127\\.0\\.0\\.1:${port}: listen EADDRINUSE.*choose another address`));
  t.notMatch(s.stderr(), /\n\s+at /, 'no stack trace');
});

t.test('colony status after kill -9 says the supervisor died', async (t) => {
  const data = await tmpDir(t);
  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  s.proc.kill('SIGKILL');
  await s.exited;
  const r = await runCli(['status', '--data', data], { timeoutMs: 60_000 });
  t.equal(r.code, 1);
  t.match(r.stderr, new RegExp(`^colony: no supervisor is running on ${data}; the last one \\(pid ${s.proc.pid}\\) ended without stopping \\(killed or crashed\\) while ready`));
});

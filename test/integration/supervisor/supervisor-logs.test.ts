// `colony serve` logs for people on a terminal and for machines elsewhere: under a
// pseudo-terminal (script(1)) its lines are pino-pretty's readable ones; piped, they are
// JSON lines in which no key appears twice, including an SSH login's and command's lines.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { childEnv, cliEntry, repoRoot, tsLoader } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { serve, waitForHealth } from './serve-helpers.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

t.test('on a terminal: readable lines', { skip: hasScript ? false : 'script(1) is not installed' }, async (t) => {
  const data = await tmpDir(t);
  const argv = [process.execPath, ...tsLoader, cliEntry, 'serve', '--data', data, '--9p', '127.0.0.1:0', '--ssh', '127.0.0.1:0', '--peer', '127.0.0.1:0'];
  // `exec`: script(1) runs the command through $SHELL, and a shell that stays as the parent
  // (dash does) would take the Ctrl-C itself and die of it.
  const child = spawn('script', ['-q', '-e', '-c', `exec ${argv.map(quote).join(' ')}`, '/dev/null'], { cwd: repoRoot, env: childEnv({ COLONY_LOG_LEVEL: 'info' }), stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let screen = '';
  child.stdout.on('data', (b: Buffer) => { screen += b.toString(); });
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  for (let i = 0; i < 1200 && !/colony supervisor ready/.test(screen) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  t.match(screen, /colony supervisor ready/, 'it became ready');
  child.stdin.write('\x03'); // Ctrl-C: the terminal sends SIGINT, a clean stop
  t.equal(await closed, 0, 'stopped cleanly on Ctrl-C');
  // eslint-disable-next-line no-control-regex
  const plain = screen.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');
  t.match(plain, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: colony supervisor ready \{.*"node":"12D3KooW/m, 'a readable line: time, level, message, fields');
  t.match(plain, /INFO: shutting down/);
  t.notMatch(plain, /^\{"level"/m, 'no JSON lines');
});

t.test('piped: JSON lines, no key twice', async (t) => {
  execFileSync(new URL('../../../scripts/ensure-apt.sh', import.meta.url).pathname, ['openssh-client', 'sshpass'], { stdio: 'ignore', timeout: 300_000 });
  const data = await tmpDir(t);
  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  // Piped, the one-time password is not in the log stream but in a 0600 file.
  const password = readFileSync(join(data, 'first-admin-password'), 'utf8').trim();
  t.notOk(s.stderr().includes(password), 'the one-time password is not logged');
  t.match(s.stderr(), /its one-time password is in \S+first-admin-password/);
  const ready = s.stderr().split('\n').find((l) => l.includes('"colony supervisor ready"'));
  const port = (JSON.parse(ready!) as { ssh: { port: number } }).ssh.port;
  const login = (pw: string, args: string[], input = '') => spawnSync('sshpass', ['-p', pw, 'ssh', '-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-p', String(port), 'admin@127.0.0.1', ...args], { encoding: 'utf8', timeout: 60_000, input });
  // The first login replaces the one-time password (asked twice, here on a pipe).
  t.equal(login(password, [], 'chosen-pw-1\nchosen-pw-1\n').status, 0);
  // A login and a command, so that the SSH session's lines are in the log too.
  const r = login('chosen-pw-1', ['whoami']);
  t.equal(r.stdout, 'admin (admin)\n', r.stderr);
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0);
  const lines = s.stderr().split('\n').filter((l) => l.startsWith('{'));
  t.ok(lines.some((l) => l.includes('"ssh exec"')), 'the command was logged');
  for (const line of lines) {
    JSON.parse(line);
    const keys = [...line.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]);
    const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
    t.same(twice, [], `no key twice in ${line}`);
  }
});

// A one-shot command that reads a terminal, run through the supervisor: `colony users
// passwd` asks twice on the terminal, and the command ends when the supervisor's does,
// though a terminal's input never ends.
import { spawn, spawnSync } from 'node:child_process';
import t from 'tap';
import { childEnv, cliEntry, repoRoot, tsLoader } from '../../helpers/cli.js';
import { consoleRun, seededData } from '../console/helpers.js';
import { serveChild } from './serve-child.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

t.test('users passwd on a terminal, through the supervisor', { skip: hasScript ? false : 'script(1) is not installed' }, async (t) => {
  const data = await seededData(t);
  await serveChild(t, data);
  const argv = [process.execPath, ...tsLoader, cliEntry, 'users', 'passwd', 'alice', '--data', data];
  const child = spawn('script', ['-q', '-e', '-c', `exec ${argv.map(quote).join(' ')}`, '/dev/null'], { cwd: repoRoot, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
  let screen = '';
  child.stdout.on('data', (b: Buffer) => { screen += b.toString(); });
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const until = async (re: RegExp) => { for (let i = 0; i < 600 && !re.test(screen); i++) await new Promise((r) => setTimeout(r, 50)); };
  await until(/new password: /);
  child.stdin.write('typed-on-a-tty\r');
  await until(/again: /);
  child.stdin.write('typed-on-a-tty\r');
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([closed, new Promise<string>((resolve) => { timer = setTimeout(() => resolve('still running'), 20_000); })]);
  clearTimeout(timer);
  if (ended === 'still running') child.kill('SIGKILL');
  t.equal(ended, 0, screen);
  t.match(screen, /password set for alice/);
  t.notMatch(screen, /typed-on-a-tty/, 'the password is not echoed');
  const check = await consoleRun(data, ['--user', 'alice'], ['passwd', 'typed-on-a-tty', 'next', 'next']);
  t.equal(check.stdout.toString(), 'password changed\n', 'the password typed on the terminal is the one set');
});

// `colony serve` under a log collector (standard error piped, as under systemd): the first
// admin's one-time password never reaches the log stream; it is in DATA/first-admin-password
// (0600), a command with it is refused, the first login replaces it, and the file goes.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tmpDir } from '../../helpers/tmp.js';
import { serve, waitForHealth } from '../supervisor/serve-helpers.js';

t.test('piped serve: the one-time password goes to a 0600 file, and goes away once changed', async (t) => {
  execFileSync(new URL('../../../scripts/ensure-apt.sh', import.meta.url).pathname, ['openssh-client', 'sshpass'], { stdio: 'ignore', timeout: 300_000 });
  const data = await tmpDir(t);
  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  const file = join(data, 'first-admin-password');
  t.equal(statSync(file).mode & 0o777, 0o600, 'the file is the owner’s only');
  const password = readFileSync(file, 'utf8').trim();
  t.ok(password.length >= 20);
  t.notOk(s.stderr().includes(password), 'the log stream never holds it');
  t.match(s.stderr(), new RegExp(`one-time password is in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(mode 0600`));
  const ready = s.stderr().split('\n').find((l) => l.includes('"colony supervisor ready"'));
  const port = (JSON.parse(ready!) as { ssh: { port: number } }).ssh.port;
  const login = (pw: string, args: string[], input = '') => spawnSync('sshpass', ['-p', pw, 'ssh', '-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-p', String(port), 'admin@127.0.0.1', ...args], { encoding: 'utf8', timeout: 60_000, input });

  const refused = login(password, ['whoami']);
  t.equal(refused.status, 1);
  t.match(refused.stderr, /one-time password and must be changed first: log in interactively/);
  t.ok(existsSync(file), 'the file stays while the password is one-time');

  const changed = login(password, [], 'my-new-pw-9\nmy-new-pw-9\nwhoami\n');
  t.equal(changed.stdout, 'admin (admin)\n', changed.stderr);
  t.match(changed.stderr, /Your password is a one-time password; choose a new one/);
  for (let i = 0; i < 100 && existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  t.notOk(existsSync(file), 'the file is deleted once the password is changed');
  t.equal(login('my-new-pw-9', ['whoami']).stdout, 'admin (admin)\n');
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0);
  t.notOk(s.stderr().includes(password), 'nor anything logged later');
  t.notOk(s.stderr().includes('my-new-pw-9'));
});

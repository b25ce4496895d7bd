// `cpu ENV [-- COMMAND]` over the real SSH console, against a stand-in executor that runs
// `sh -c` on this host (cpu-fake.ts): streams apart, exit statuses and signal deaths, stdin
// and its EOF, the pty's size and its changes, signals and hang-ups reaching the process,
// the terminal handed over at the colony> prompt, and one clear line for each refusal.
import { constants } from 'node:os';
import t from 'tap';
import type { Client, ClientChannel, ExecOptions } from 'ssh2';
import { consoleShell, passwordLogin } from '../../helpers/ssh2-client.js';
import { FakeCpu, until } from './cpu-fake.js';
import { PASSWORDS, ssh, sshWorld } from './helpers.js';

/**
 * An exec channel whose output and exit are collected from the start: ssh2 may parse the
 * exit and close in the same read as the exec's success, before an awaiting caller resumes.
 */
function execOn(c: Client, command: string, options: ExecOptions = {}) {
  return new Promise<{ ch: ClientChannel; out: () => string; err: () => string; exit: Promise<unknown[]> }>((resolve, reject) => {
    c.exec(command, options, (e, ch) => {
      if (e) { reject(e); return; }
      let out = '';
      let err = '';
      ch.on('data', (b: Buffer) => { out += b.toString(); });
      ch.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      const exit = new Promise<unknown[]>((done) => ch.on('exit', (...a: unknown[]) => done(a)));
      resolve({ ch, out: () => out, err: () => err, exit });
    });
  });
}

t.test('one command: stdout and stderr apart, the exit status, stdin to EOF', async (t) => {
  const cpu = new FakeCpu();
  const w = await sshWorld(t, { node: { cpu } });
  const r = await ssh(w, 'alice', ['cpu', 'dev', '--', 'echo out; echo err >&2; exit 3']);
  t.same(r, { code: 3, stdout: 'out\n', stderr: 'err\n' });
  t.same(cpu.of('start')[0], { call: 'start', user: 'alice', env: 'dev', req: { command: 'echo out; echo err >&2; exit 3' } }, 'the text after -- goes to the shell, no tty');
  const cat = await ssh(w, 'alice', ['cpu', 'dev', '--', 'cat; echo done'], { input: 'hello\nworld\n' });
  t.same(cat, { code: 0, stdout: 'hello\nworld\ndone\n', stderr: '' }, 'stdin reaches the process and its EOF ends cat');
  const big = 'x'.repeat(8 << 20);
  const slow = await ssh(w, 'alice', ['cpu', 'dev', '--', 'sleep 0.5; wc -c'], { input: big });
  t.same(slow, { code: 0, stdout: `${8 << 20}\n`, stderr: '' }, '8 MiB into a process slow to read: every byte, in order (the channel pauses)');
  const bare = await ssh(w, 'alice', ['cpu', 'dev', 'echo', 'no', 'dashes', '--json']);
  t.same(bare, { code: 0, stdout: 'no dashes --json\n', stderr: '' }, 'without --, the rest is the command, --json included');
});

t.test('a signal death is exit-signal, as sshd sends it', async (t) => {
  const cpu = new FakeCpu();
  const w = await sshWorld(t, { node: { cpu } });
  const r = await ssh(w, 'alice', ['cpu', 'dev', '--', 'kill -TERM $$']);
  t.equal(r.code, 255, 'OpenSSH exits 255 on exit-signal, as against sshd');
  const c = await passwordLogin(w.port, 'alice', PASSWORDS.alice!);
  t.teardown(() => c.end());
  const killed = await execOn(c, 'cpu dev -- kill -KILL $$');
  t.same((await killed.exit).slice(0, 2), [null, 'SIGKILL'], 'the signal by name');
  const alarm = await execOn(c, 'cpu dev -- kill -VTALRM $$');
  t.same((await alarm.exit).slice(0, 1), [128 + constants.signals.SIGVTALRM], 'a signal RFC 4254 does not name is 128+n');
});

t.test('refusals: one line on stderr, status 1', async (t) => {
  const cpu = new FakeCpu();
  const w = await sshWorld(t, { node: { cpu } });
  t.same(await ssh(w, 'alice', ['cpu', 'nope']), { code: 1, stdout: '', stderr: 'error: environment nope not found\n' });
  t.same(await ssh(w, 'alice', ['cpu', 'theirs', '--', 'true']), { code: 1, stdout: '', stderr: 'error: environment theirs is not yours, and you were not invited into it\n' });
  const usage = await ssh(w, 'alice', ['cpu']);
  t.equal(usage.code, 1);
  t.match(usage.stderr, /^error: usage: cpu ENV \[-- COMMAND\]\n$/);
  t.match((await ssh(w, 'alice', ['cpu', 'dev', '--'])).stderr, /nothing after --/);
  const help = await ssh(w, 'alice', ['cpu', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, new RegExp(`^cpu ENV \\[-- COMMAND\\]\\n[\\s\\S]*ssh -t -p ${w.port} alice@HOST cpu ENV`), 'help with this console\'s port');
  t.match((await ssh(w, 'alice', ['help'])).stdout, /\n\s+cpu ENV \[-- COMMAND\]/, 'help lists cpu');

  const off = await sshWorld(t, { node: { cpu: new FakeCpu('this kernel has no 9p (modprobe 9p)') } });
  t.same(await ssh(off, 'alice', ['cpu', 'dev']), { code: 1, stdout: '', stderr: 'error: cpu is not available on this node: this kernel has no 9p (modprobe 9p)\n' });
  const none = await sshWorld(t);
  t.same(await ssh(none, 'alice', ['cpu', 'dev', '--', 'true']), { code: 1, stdout: '', stderr: 'error: cpu is not enabled on this node\n' });
});

t.test('a pty: its size, window changes, signals and the hang-up reach the process', async (t) => {
  const cpu = new FakeCpu();
  const w = await sshWorld(t, { node: { cpu } });
  const c = await passwordLogin(w.port, 'alice', PASSWORDS.alice!);
  t.teardown(() => c.end());
  const { ch, out, err } = await execOn(c, 'cpu dev -- echo ready; echo oops >&2; trap "echo got INT" INT; while :; do sleep 0.05; done', { pty: { term: 'vt220', cols: 100, rows: 30 } });
  await until(() => out().includes('oops'), 'the output');
  t.same(cpu.of('start')[0]!.req.tty, { term: 'vt220', cols: 100, rows: 30 }, 'term and size from pty-req');
  t.equal(err(), '', 'with a pty, one stream');
  ch.setWindow(40, 132, 0, 0);
  await until(() => cpu.of('resize').length > 0, 'the resize');
  t.same(cpu.of('resize'), [{ call: 'resize', cols: 132, rows: 40 }]);
  ch.signal('INT');
  await until(() => out().includes('got INT'), 'the trap');
  t.same(cpu.of('signal'), [{ call: 'signal', sig: 'SIGINT' }]);
  c.end();
  await until(() => cpu.of('hangup').length > 0, 'the hang-up');
  t.pass('a client that goes away hangs the process up');
});

t.test('a one-shot without pty whose client disconnects is hung up', async (t) => {
  const cpu = new FakeCpu();
  const w = await sshWorld(t, { node: { cpu } });
  const c = await passwordLogin(w.port, 'alice', PASSWORDS.alice!);
  const { out } = await execOn(c, 'cpu dev -- echo up; sleep 30');
  await until(() => out().includes('up'), 'the output');
  t.equal(cpu.of('start')[0]!.req.tty, undefined, 'no pty, no tty');
  c.end();
  await until(() => cpu.of('hangup').length === 1, 'the hang-up');
  t.pass('hung up once');
});

t.test('at the colony> prompt, cpu ENV takes the terminal until the shell exits', async (t) => {
  const cpu = new FakeCpu();
  const w = await sshWorld(t, { node: { cpu } });
  const c = await passwordLogin(w.port, 'alice', PASSWORDS.alice!);
  t.teardown(() => c.end());
  const ch = await new Promise<ClientChannel>((resolve, reject) => c.shell({ term: 'xterm', cols: 90, rows: 20 }, (err, s) => (err ? reject(err) : resolve(s))));
  let out = '';
  ch.on('data', (b: Buffer) => { out += b.toString(); });
  await until(() => out.endsWith('colony> '), 'the prompt');
  ch.write('cpu dev\r');
  await until(() => cpu.of('start').length === 1, 'the start');
  t.same(cpu.of('start')[0]!.req, { tty: { term: 'xterm', cols: 90, rows: 20 } }, 'a login shell with the terminal');
  ch.write('echo inside-$((6*7))\nexit\n');
  await until(() => /inside-42[\s\S]*colony> $/.test(out), 'the prompt again');
  ch.write('whoami\r');
  await until(() => out.includes('alice (user)'), 'the console');
  t.pass('the console is back');
});

t.test('a piped console runs cpu commands with no stdin and goes on', async (t) => {
  const cpu = new FakeCpu();
  const w = await sshWorld(t, { node: { cpu } });
  const c = await passwordLogin(w.port, 'alice', PASSWORDS.alice!);
  t.teardown(() => c.end());
  const sh = await consoleShell(c);
  sh.ch.write('cpu dev -- cat; echo piped\nwhoami\n');
  await sh.until(() => sh.text().includes('alice (user)'), 'whoami');
  t.equal(sh.text(), 'piped\nalice (user)\n', 'cat read nothing: the next line stayed the console\'s');
});

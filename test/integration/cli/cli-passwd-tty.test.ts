// `colony users passwd` and `users add --password-stdin` on a terminal (a pseudo-terminal
// made by script(1)), run by the CLI itself and through a running supervisor: what is typed
// is never echoed, Backspace edits it, the password set is the one typed, and Ctrl-C and
// Ctrl-D leave the terminal as it was. Piped, the first line is the password, as before.
import t, { type Test } from 'tap';
import { cliEntry, runCli, tsLoader } from '../../helpers/cli.js';
import { consoleRun, hasScript, onTerminal, seededData } from '../console/helpers.js';
import { serveChild } from './serve-child.js';

const skip = hasScript ? false : 'script(1) is not installed';
const colony = (data: string, args: string[]) => [process.execPath, ...tsLoader, cliEntry, ...args, '--data', data];
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The password works: `passwd` in the console asks for it as the current one. */
async function works(t: Test, data: string, user: string, password: string): Promise<void> {
  const check = await consoleRun(data, ['--user', user], ['passwd', password, 'next', 'next']);
  t.equal(check.stdout.toString(), 'password changed\n', `${user}'s password is the one typed`);
}

for (const through of [false, true]) {
  const where = through ? 'through a running supervisor' : 'with no supervisor';

  t.test(`users passwd and users add --password-stdin on a terminal, ${where}`, { skip }, async (t) => {
    const data = await seededData(t);
    if (through) await serveChild(t, data);

    const passwd = onTerminal(colony(data, ['users', 'passwd', 'alice']));
    await passwd.waitFor(/new password: /);
    passwd.child.stdin.write('tty-secreX\x7ft-1\r'); // a typo, erased with Backspace (DEL)
    await passwd.waitFor(/again: /);
    passwd.child.stdin.write('tty-secret-1\r');
    t.equal(await passwd.closed, 0, passwd.screen());
    t.match(passwd.screen(), /password set for alice/);
    t.notMatch(passwd.screen(), /secre|tty-s/, 'nothing typed is shown');

    const add = onTerminal(colony(data, ['users', 'add', 'carol', '--password-stdin']));
    await add.waitFor(/new password: /);
    add.child.stdin.write('carols-word\r');
    await add.waitFor(/again: /);
    add.child.stdin.write('carols-word\r');
    t.equal(await add.closed, 0, add.screen());
    t.match(add.screen(), /added user carol and a password/);
    t.notMatch(add.screen(), /carols/, 'nothing typed is shown');

    await works(t, data, 'alice', 'tty-secret-1');
    await works(t, data, 'carol', 'carols-word');

    const piped = await runCli(['users', 'passwd', 'admin', '--data', data], { input: 'piped-word\nignored\n' });
    t.equal(piped.code, 0, piped.stderr);
    await works(t, data, 'admin', 'piped-word');
  });

  t.test(`Ctrl-C and Ctrl-D restore the terminal, ${where}`, { skip }, async (t) => {
    const data = await seededData(t);
    if (through) await serveChild(t, data);
    // The command, then its status and the terminal's mode as the shell sees them after it.
    const shell = (keys: string) => {
      const term = onTerminal(['sh', '-c', `${colony(data, ['users', 'passwd', 'bob']).map(quote).join(' ')}; echo "status=$?"; stty -a`]);
      return { term, typed: (async () => { await term.waitFor(/new password: /); term.child.stdin.write(keys); })() };
    };
    for (const [key, name] of [['\x03', 'Ctrl-C'], ['\x04', 'Ctrl-D']] as const) {
      const { term, typed } = shell(`half-typed\x15${key}`); // Ctrl-U empties the line, so Ctrl-D ends the input
      await typed;
      t.equal(await term.closed, 0);
      const screen = term.screen();
      t.match(screen, name === 'Ctrl-C' ? /interrupted \(Ctrl-C\); nothing was changed[^]*status=1/ : /no password typed[^]*status=1/, `${name} stops the command`);
      t.notMatch(screen, /half-typed/, `${name}: nothing typed is shown`);
      t.match(screen, /(^|[\s;])echo([\s;]|$)/m, `${name}: echo is back on`);
      t.match(screen, /(^|[\s;])icanon([\s;]|$)/m, `${name}: line mode is back on`);
    }
    const check = await consoleRun(data, ['--user', 'bob'], ['passwd', 'first', 'first']);
    t.equal(check.stdout.toString(), 'password changed\n', 'bob still has no password (none was asked for)');
  });
}

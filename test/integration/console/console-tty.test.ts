// `colony console` on a terminal: a pseudo-terminal made by script(1) from util-linux.
// It prompts, edits lines, and Ctrl-C leaves cleanly (disk environments are kept).
import t from 'tap';
import { commandLine, consoleRun, hasScript, onTerminal, seededData } from './helpers.js';

t.test('prompt, commands, Ctrl-C', { skip: hasScript ? false : 'script(1) is not installed' }, async (t) => {
  const data = await seededData(t);
  const term = onTerminal(commandLine(data, ['--user', 'alice']));
  await term.waitFor(/colony> /);
  t.match(term.screen(), /colony console as alice; type help for the commands/);
  term.child.stdin.write('help boom\r');
  await term.waitFor(/stop ENV and free its cache/);
  // Line editing: type a wrong verb, erase it with backspaces (DEL), type the right one.
  term.child.stdin.write('stat\x7f\x7f\x7f\x7fspawndisk debian\r');
  await term.waitFor(/aname: env\/debian\//);
  term.child.stdin.write('\x03');
  t.equal(await term.closed, 0, 'Ctrl-C leaves with status 0');
  t.notMatch(term.screen(), /error:/);
  const after = await consoleRun(data, ['--user', 'alice'], ['status']);
  t.match(after.stdout.toString(), /^debian\s+alice\s+alice\/debian\s+disk\s/m, 'the disk environment was kept');
});

t.test('exit on a terminal', { skip: hasScript ? false : 'script(1) is not installed' }, async (t) => {
  const data = await seededData(t);
  const term = onTerminal(commandLine(data, []));
  await term.waitFor(/colony> /);
  term.child.stdin.write('status\r');
  await term.waitFor(/no environments running/);
  term.child.stdin.write('exit\r');
  t.equal(await term.closed, 0);
});

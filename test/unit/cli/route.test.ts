// Where a `colony` command runs, as data: here, forwarded to the supervisor, or refused.
import t from 'tap';
import { routeOf, type Command } from '../../../appliance/cli/command.js';
import { commands } from '../../../appliance/cli/main.js';

t.test('the route table', async (t) => {
  const table = (['forward', 'refuse', undefined] as const).flatMap((supervisor) =>
    [[false, false], [false, true], [true, true]].map(([inSupervisor, supervisorAnswers]) =>
      [supervisor ?? '-', inSupervisor ? 'inside' : supervisorAnswers ? 'supervisor answers' : 'none', routeOf({ supervisor }, { inSupervisor: inSupervisor!, supervisorAnswers: supervisorAnswers! })]));
  t.same(table, [
    ['forward', 'none', 'here'], ['forward', 'supervisor answers', 'forward'], ['forward', 'inside', 'here'],
    ['refuse', 'none', 'here'], ['refuse', 'supervisor answers', 'refuse'], ['refuse', 'inside', 'refuse'],
    ['-', 'none', 'here'], ['-', 'supervisor answers', 'here'], ['-', 'inside', 'refuse'],
  ]);
});

t.test('every command that uses the data directory says what happens while a supervisor runs', async (t) => {
  const name = (c: Command) => c.path.join(' ');
  const by = (s: Command['supervisor']) => commands.filter((c) => c.supervisor === s).map(name).sort();
  t.same(by('refuse'), ['store reindex']);
  t.same(by(undefined), ['9p', 'config show', 'console', 'disk grow', 'disk list', 'disk provision', 'forget', 'gc', 'hostname', 'serve', 'update', 'update status', 'usage'],
    'console, forget, gc and usage dial the supervisor themselves (one console line each); serve refuses on the lock; disk runs here, as root, on block devices (provision refuses a data directory in use); ' +
    'hostname reads the node key, which is safe beside a supervisor (identity/README); update drives RAUC as root; the rest use no data directory');
  t.ok(commands.filter((c) => c.supervisor === 'refuse').every((c) => c.refusal), 'a refusal is one line that says why');
});

// `--data DIR` is global: it may stand before the command as well as after it.
import t from 'tap';
import { hoistDataOption } from '../../../appliance/cli/main.js';

t.test('a leading --data moves behind the command words', async (t) => {
  t.same(hoistDataOption(['--data', '/d', 'scores']), ['scores', '--data', '/d']);
  t.same(hoistDataOption(['--data=/d', 'store', 'stats', '--json']), ['store', 'stats', '--data=/d', '--json']);
  t.same(hoistDataOption(['--data', '/d', 'import', '-', 'x']), ['import', '--data', '/d', '-', 'x'], 'positional arguments stay after it');
});

t.test('anything else is left alone', async (t) => {
  t.same(hoistDataOption(['scores', '--data', '/d']), ['scores', '--data', '/d']);
  t.same(hoistDataOption(['--data']), ['--data'], 'a missing value is left for the parser to report');
  t.same(hoistDataOption([]), []);
});

// The appliance's unit must delegate its cgroup subtree: without Delegate=yes systemd owns
// the service's group and the executor can neither create environment groups nor enable
// the memory, pids and cpu controllers there.
import t from 'tap';
import { readFile } from 'node:fs/promises';

t.test('colony.service delegates its cgroup subtree to the supervisor', async (t) => {
  const unit = await readFile(new URL('../../../image/systemd/colony.service', import.meta.url), 'utf8');
  t.match(unit, /^Delegate=yes$/m);
});

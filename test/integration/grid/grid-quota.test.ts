// The grid asks the quota before a save writes (the saver's) and before an invite saves a
// name for the invitee (the invitee's): refused, nothing is named.
import t from 'tap';
import { quota } from '../../../appliance/errors.js';
import { Grid } from '../../../appliance/grid/index.js';
import { openWorld } from './helpers.js';

t.test('save and invite are refused for a user over quota', async (t) => {
  const w = await openWorld(t);
  await w.grid.close();
  const over = new Set(['bob']);
  const grid = await Grid.open({ data: w.data, store: w.store, catalog: w.catalog, limits: { checkpointMs: 0 }, quota: async (user) => { if (over.has(user)) throw quota(`${user} is over quota`); } });
  w.grid = grid;
  await grid.spawn('alice', 'debian', { cache: 'ram' });
  await t.rejects(grid.invite('alice', 'bob', 'debian'), { code: 'COLONY_QUOTA', message: /bob is over quota/ });
  t.same(w.catalog.scores('bob').map((r) => r.name), [], 'bob got no name');
  over.add('alice');
  await t.rejects(grid.save('alice', 'debian', 'dev'), { code: 'COLONY_QUOTA' });
  t.notOk(w.catalog.scores('alice').some((r) => r.name === 'dev'), 'nothing named');
  over.clear();
  t.equal((await grid.save('alice', 'debian', 'dev')).name, 'dev', 'under the quota again');
});

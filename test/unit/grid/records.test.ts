// The disk environment record's parser refuses anything that is not a whole record.
import t from 'tap';
import { parseRecord } from '../../../appliance/grid/records.js';

const score = `b3:${'ab'.repeat(32)}`;
const good = { version: 1, name: 'debian', owner: 'alice', kind: 'disk', base: { owner: 'alice', name: 'debian', root: score }, token: 'tok', head: score, unsaved: false, created: '2026-01-01T00:00:00.000Z', checkpointed: '2026-01-01T00:00:00.000Z' };

t.test('a good record parses', async (t) => {
  t.same(parseRecord(JSON.stringify(good), 'f'), good);
});

t.test('bad records are COLONY_CORRUPT_DATA naming the file', async (t) => {
  t.throws(() => parseRecord('{', 'envs/x.json'), { code: 'COLONY_CORRUPT_DATA', message: /envs\/x.json/ });
  t.throws(() => parseRecord(JSON.stringify({ ...good, version: 2 }), 'f'), { code: 'COLONY_CORRUPT_DATA' });
  t.throws(() => parseRecord(JSON.stringify({ ...good, kind: 'ram' }), 'f'), { code: 'COLONY_CORRUPT_DATA' });
  t.throws(() => parseRecord(JSON.stringify({ ...good, head: 'b3:zz' }), 'f'), { code: 'COLONY_CORRUPT_DATA', message: /bad score/ });
  t.throws(() => parseRecord(JSON.stringify({ ...good, base: undefined }), 'f'), { code: 'COLONY_CORRUPT_DATA' });
});

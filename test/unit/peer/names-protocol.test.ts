// /colony/names/1 messages: strict shapes and the MAX_ROOTS bound.
import t from 'tap';
import { MAX_ROOTS, parseNamesMessage } from '../../../appliance/peer/names-protocol.js';

const r = `b3:${'ab'.repeat(32)}`;

t.test('well-formed messages', async (t) => {
  t.same(parseNamesMessage({ t: 'complete', roots: [r] }), { t: 'complete', roots: [r] });
  t.same(parseNamesMessage({ t: 'completed', roots: [] }), { t: 'completed', roots: [] });
});

t.test('malformed messages are COLONY_PROTOCOL', async (t) => {
  for (const bad of [null, 3, {}, { t: 'pull', roots: [] }, { t: 'complete' }, { t: 'complete', roots: 'x' }, { t: 'complete', roots: [r.toUpperCase()] },
    { t: 'complete', roots: [`b3:${'a'.repeat(63)}`] }, { t: 'complete', roots: [7] }, { t: 'complete', roots: Array(MAX_ROOTS + 1).fill(r) }]) {
    t.throws(() => parseNamesMessage(bad), { code: 'COLONY_PROTOCOL' }, JSON.stringify(bad)?.slice(0, 60));
  }
});

// The server counts requests by T-message type, and those answered with an error (/metrics).
import t from 'tap';
import { serve } from './harness.js';

t.test('requests and errors are counted by type', async (t) => {
  const s = await serve(t);
  s.fs.writeFile('f', 'x');
  const c = await s.client();
  const root = await c.attach('mem');
  await c.walk(root.fid, ['f']);
  await t.rejects(c.walk(root.fid, ['missing']));
  await t.rejects(c.walk(root.fid, ['missing-too']));
  const counts = s.server.requestCounts();
  t.equal(counts.requests.Tversion, 1);
  t.equal(counts.requests.Tattach, 1);
  t.equal(counts.requests.Twalk, 3, 'every walk is counted');
  t.same(counts.errors, { Twalk: 2 }, 'only the failed walks are errors');
});

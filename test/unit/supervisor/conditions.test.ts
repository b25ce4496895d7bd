// Degraded reasons and busy work as data: what health.json should say next, and what the
// LEDs show as busy.
import t from 'tap';
import { BusyWork, DegradedReasons } from '../../../appliance/supervisor/conditions.js';

t.test('degraded reasons: said once per change, only while ready or degraded', async (t) => {
  const d = new DegradedReasons();
  t.equal(d.change('ready'), undefined, 'nothing to say');
  d.set('board', ['disk: 700 MiB free (reserve 1 GiB)']);
  t.equal(d.change('booting'), undefined, 'not while booting');
  t.same(d.change('ready'), { state: 'degraded', text: 'disk: 700 MiB free (reserve 1 GiB)' }, 'said once ready');
  t.equal(d.change('degraded'), undefined, 'and not again');
  d.set('peers', ['paired peers unreachable: 12D3KooWx']);
  t.same(d.change('degraded'), { state: 'degraded', text: 'disk: 700 MiB free (reserve 1 GiB); paired peers unreachable: 12D3KooWx' }, 'a new reason is said, every source named');
  t.equal(d.change('stopping'), undefined, 'a stopping node stays stopping');
  d.set('board', []);
  d.set('peers', []);
  t.same(d.change('degraded'), { state: 'ready' }, 'no reason left: ready');
  t.equal(d.change('ready'), undefined);
});

t.test('busy work nests per kind and joins what others report', async (t) => {
  const b = new BusyWork();
  t.same(b.now([false, false]), []);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const one = b.during('importing', () => gate);
  const two = b.during('importing', () => gate);
  t.same(b.now(['saving', false]), ['saving', 'importing'], 'one entry for two imports');
  release();
  await Promise.all([one, two]);
  t.same(b.now([false, 'replicating']), ['replicating'], 'done work is not busy');
  await t.rejects(b.during('importing', async () => { throw new Error('boom'); }), /boom/);
  t.same(b.now([]), [], 'a failed run is not busy either');
});

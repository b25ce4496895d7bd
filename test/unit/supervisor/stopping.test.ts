// Closing services in order, each within a limit: one that hangs or throws is logged and
// the rest still close.
import t from 'tap';
import { closeInOrder } from '../../../appliance/supervisor/stopping.js';

function recorder() {
  const logged: Array<{ service: unknown; msg: string }> = [];
  return { logged, log: { error: (obj: object, msg?: string) => { logged.push({ service: (obj as { service?: unknown }).service, msg: msg ?? '' }); } } };
}

t.test('a hung close is left behind after the limit; the later services still close', async (t) => {
  const closed: string[] = [];
  const { logged, log } = recorder();
  const errors = await closeInOrder([
    { name: 'discovery', close: () => new Promise<void>(() => {}) }, // a D-Bus call that never returns
    { name: 'exec', close: async () => { closed.push('exec'); } },
    { name: 'broken', close: async () => { throw new Error('socket gone'); } },
    { name: 'grid', close: async () => { closed.push('grid'); } },
  ], log, 50);
  t.same(closed, ['exec', 'grid'], 'in order, past the hung one and the failed one');
  t.same(logged.map((l) => [l.service, l.msg]), [['discovery', 'stopping a service took too long'], ['broken', 'stopping a service failed']]);
  t.same(errors.map((e) => e.message), ['stopping discovery took over 50 ms; going on without it', 'socket gone']);
});

t.test('with no limit, a slow close is waited for', async (t) => {
  const { logged, log } = recorder();
  let done = false;
  const errors = await closeInOrder([{ name: 'store', close: () => new Promise<void>((r) => setTimeout(() => { done = true; r(); }, 30)) }], log, Infinity);
  t.ok(done);
  t.same(errors, []);
  t.same(logged, []);
});

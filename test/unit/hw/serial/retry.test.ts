// The retry bookkeeping of a line: the count, the delays, warn for a new error and debug for
// a repeat, a fresh schedule after a long open, nothing after stop.
import t from 'tap';
import { MemoryLog } from '../../../../appliance/log.js';
import { Retry } from '../../../../hw/serial/retry.js';

t.test('counts, logs a new error once at warn, restarts after a long open', async (t) => {
  const log = new MemoryLog();
  const r = new Retry(log, '/dev/ttyX', { baseMs: 1000, maxMs: 4000 });
  t.teardown(() => r.cancel());
  const never = () => t.fail('the timer must not fire in this test');
  const busy = new Error('Resource temporarily unavailable Cannot lock port');
  r.failed(busy, never, false, 0);
  r.failed(busy, never, false, 1);
  r.failed(new Error('ENOENT: no such file'), never, false, 2);
  t.same(log.lines.map((l) => [l.level, l.retryInMs, l.retries]), [['warn', 1000, 1], ['debug', 2000, 2], ['warn', 4000, 3]]);
  t.equal(r.error, 'ENOENT: no such file');
  t.ok(log.lines.every((l) => l.err instanceof Error && l.path === '/dev/ttyX'), 'logged with { err, path }');

  r.opened(10_000);
  t.equal(r.error, undefined, 'open: no error');
  r.failed(busy, never, false, 10_500);
  t.equal(r.retries, 4, 'a short open keeps backing off');
  r.opened(20_000);
  r.failed(busy, never, false, 30_000);
  t.equal(r.retries, 1, 'open for the longest delay or more: the schedule starts again');

  const before = log.lines.length;
  r.failed(busy, never, true, 40_000);
  t.equal(log.lines.length, before, 'stopped: nothing logged or scheduled');
});

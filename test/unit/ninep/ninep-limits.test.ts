import t from 'tap';
import { Admission, DEFAULT_LIMITS, RateLimitedWarning, replyEstimate } from '../../../appliance/ninep/limits.js';
import type { Message } from '../../../appliance/ninep/messages.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import type { Log } from '../../../appliance/log.js';

const MiB = 1024 * 1024;

function recorder(): Log & { warnings: Array<{ fields: object; msg?: string }> } {
  const warnings: Array<{ fields: object; msg?: string }> = [];
  const log = { warnings, debug() {}, info() {}, error() {}, warn(fields: object, msg?: string) { warnings.push({ fields, ...(msg ? { msg } : {}) }); }, child: () => log };
  return log;
}

t.test('a flood of refusals logs one warning per interval, with how many were held back', async (t) => {
  const log = recorder();
  let now = 1000;
  const w = new RateLimitedWarning(log, '9p connection refused', 10_000, () => now);
  for (let i = 0; i < 5000; i++) { w.note({ remote: `10.0.0.${i % 200}` }); now += 1; }
  t.equal(log.warnings.length, 1, '5000 refusals within 5 s: one line');
  now += 10_000;
  w.note({ remote: '10.0.0.1' });
  t.equal(log.warnings.length, 2);
  t.match(log.warnings[1], { msg: '9p connection refused', fields: { remote: '10.0.0.1', suppressedSinceLastWarning: 4999 } });
  now += 10_000;
  w.note({ remote: '10.0.0.2' });
  t.notOk('suppressedSinceLastWarning' in log.warnings[2]!.fields, 'nothing held back: no count');
});

t.test('admission counts per address and overall, and gives slots back', async (t) => {
  const a = new Admission({ maxConnections: 3, maxPerAddress: 2 });
  t.equal(a.admit('1.1.1.1'), 'ok');
  t.equal(a.admit('1.1.1.1'), 'ok');
  t.equal(a.admit('1.1.1.1'), 'too many connections from this address');
  t.equal(a.admit('2.2.2.2'), 'ok');
  t.equal(a.admit('3.3.3.3'), 'too many connections');
  t.equal(a.open, 3);
  a.release('1.1.1.1');
  t.equal(a.admit('1.1.1.1'), 'ok');
  a.release('2.2.2.2');
  a.release('1.1.1.1');
  a.release('1.1.1.1');
  t.equal(a.open, 0);
  t.equal(a.admit('1.1.1.1'), 'ok', 'a released address starts over');
});

t.test('reply estimates: reads by their count, capped by msize; the rest small', async (t) => {
  const read = (count: number) => ({ type: 'Tread', tag: 1, fid: 1, offset: 0, count }) as Message;
  t.equal(replyEstimate(read(100), MiB), 111);
  t.equal(replyEstimate(read(4 * MiB), MiB), MiB);
  t.equal(replyEstimate({ type: 'Treaddir', tag: 1, fid: 1, offset: 0, count: 8192 } as Message, MiB), 8203);
  t.equal(replyEstimate({ type: 'Tclunk', tag: 1, fid: 1 } as Message, MiB), 512);
});

t.test('the defaults bound a stranger well below a frame of the default msize', async (t) => {
  t.ok(DEFAULT_LIMITS.preAuthMaxFrame <= 8192);
  t.ok(DEFAULT_LIMITS.preAuthMaxOutstanding * DEFAULT_LIMITS.preAuthMaxFrame < MiB);
  t.ok(DEFAULT_LIMITS.handshakeTimeoutMs > 0 && DEFAULT_LIMITS.frameTimeoutMs > 0);
});

t.test('config: ninep limits have defaults, can be set, and bad values name the key', async (t) => {
  const d = defaultConfig(false).ninep;
  t.match(d, { maxConnections: 256, maxPerAddress: 32, handshakeTimeoutSeconds: 30, frameTimeoutSeconds: 60, maxQueuedReplyBytes: 4 * MiB, maxFids: 16384 });
  const c = validateConfig({ ninep: { maxConnections: 10, maxPerAddress: 2, handshakeTimeoutSeconds: 5, frameTimeoutSeconds: 9, maxQueuedReplyBytes: MiB, maxFids: 1000 } }, defaultConfig(false));
  t.match(c.ninep, { maxConnections: 10, maxPerAddress: 2, handshakeTimeoutSeconds: 5, frameTimeoutSeconds: 9, maxQueuedReplyBytes: MiB, maxFids: 1000 });
  t.throws(() => validateConfig({ ninep: { maxConnections: 0 } }, defaultConfig(false)), { message: /'ninep.maxConnections'/ });
  t.throws(() => validateConfig({ ninep: { handshakeTimeoutSeconds: 0 } }, defaultConfig(false)), { message: /'ninep.handshakeTimeoutSeconds'/ });
  t.throws(() => validateConfig({ ninep: { maxQueuedReplyBytes: 1000 } }, defaultConfig(false)), { message: /'ninep.maxQueuedReplyBytes'/ });
});

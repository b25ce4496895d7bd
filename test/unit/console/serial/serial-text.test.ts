// The serial console's texts and its input, as data.
import t from 'tap';
import { idleText, isNoise, issueText, lockText, tooLongText } from '../../../../appliance/console/serial/banner.js';
import { MAX_LINE, SerialInput, type ReadResult } from '../../../../appliance/console/serial/input.js';

t.test('issue text: plain, and on first boot', async (t) => {
  t.equal(issueText('12D3KooWx', undefined), '\nColony node 12D3KooWx: serial console\n\n');
  const fb = issueText('12D3KooWx', { nodeId: '12D3KooWx', addresses: ['192.0.2.1', 'fe80::1'], password: 'abcd-efgh' });
  t.match(fb, /first boot/);
  t.match(fb, /node id {4}12D3KooWx/);
  t.match(fb, /addresses {2}192\.0\.2\.1, fe80::1/);
  t.match(fb, /log in as 'admin' with the one-time password abcd-efgh/);
  t.match(issueText('n', { nodeId: 'n', addresses: [] }), /addresses {2}none yet[\s\S]*showed when it first started/);
});

t.test('noise, long lines, idle, locks', async (t) => {
  t.equal(isNoise('status'), false);
  t.equal(isNoise('spawn débian'), false, 'UTF-8 text is text');
  t.equal(isNoise('sta\uFFFDtus'), true);
  t.equal(isNoise('\u0085'), true);
  t.match(tooLongText(5000, 4096), /over 4096 characters; at most 4096/);
  t.equal(idleText(600_000), '\nidle for 10 minutes: logged out\n');
  t.equal(idleText(60_000), '\nidle for 1 minute: logged out\n');
  t.equal(idleText(300), '\nidle for 1 second: logged out\n');
  t.equal(lockText('line', 'alice', Date.UTC(2026, 0, 1, 12, 34)), 'Login refused: too many failed logins on this line; try again after 12:34 UTC\n');
  t.match(lockText('user', 'alice', Date.UTC(2026, 0, 1, 12, 34)), /for alice/);
});

function input() {
  const out: string[] = [];
  const flow: string[] = [];
  const i = new SerialInput((s) => out.push(s), { pause: () => flow.push('pause'), resume: () => flow.push('resume') });
  return { i, out, flow };
}

t.test('input: CR, LF and CR LF end one line each; typed-ahead lines wait', async (t) => {
  const { i, out } = input();
  i.push(Buffer.from('one\r\ntwo\rthree\nfour'));
  const got: ReadResult[] = [];
  for (let n = 0; n < 3; n++) got.push(await i.read('> '));
  t.same(got, [{ kind: 'line', line: 'one' }, { kind: 'line', line: 'two' }, { kind: 'line', line: 'three' }]);
  const pending = i.read('> ');
  i.push(Buffer.from('\n'));
  t.same(await pending, { kind: 'line', line: 'four' });
  t.match(out.join(''), /> one\r\n> two\r\n> three\r\n> four\r\n/);
});

t.test('input: a UTF-8 character split across chunks; secret lines are not echoed', async (t) => {
  const { i, out } = input();
  const p = i.read('password: ', { secret: true });
  const bytes = Buffer.from('é\n');
  i.push(bytes.subarray(0, 1));
  i.push(bytes.subarray(1));
  t.same(await p, { kind: 'line', line: 'é' });
  t.equal(out.join(''), 'password: \r\n');
});

t.test('input: a line over MAX_LINE is too-long, whole; the flood pauses the source, then resumes', async (t) => {
  const { i, flow } = input();
  i.push(Buffer.alloc(100_000, 0x61));
  t.same(flow, ['pause'], 'more than 64 KiB waiting: paused');
  i.push(Buffer.from('\nnext\n'));
  t.same(await i.read('> '), { kind: 'too-long', length: MAX_LINE + 1 });
  t.same(flow, ['pause', 'resume'], 'read: resumed');
  t.same(await i.read('> '), { kind: 'line', line: 'next' });
  const exact = 'b'.repeat(MAX_LINE);
  i.push(Buffer.from(`${exact}\n`));
  t.same(await i.read('> '), { kind: 'line', line: exact }, 'exactly MAX_LINE is fine');
});

t.test('input: cancel ends a pending read', async (t) => {
  const { i } = input();
  const p = i.read('> ');
  i.cancel();
  t.same(await p, { kind: 'cancelled' });
  i.push(Buffer.from('\x03'));
  t.same(await i.read('> '), { kind: 'interrupt' });
  i.push(Buffer.from('\x04'));
  t.same(await i.read('> '), { kind: 'eof' });
});

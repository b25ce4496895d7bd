// What a serial line really carries: line noise (a terminal at the wrong speed), very long
// lines, floods typed ahead while nothing reads. Each gets a clear answer, nothing typed
// after it is lost, and the console keeps going. And a forgotten session logs itself out.
import t, { type Test } from 'tap';
import { Far, PASSWORDS, servedConsole } from './helpers.js';

async function world(tt: Test, idleLogoutMs?: number) {
  const { pair, log } = await servedConsole(tt, idleLogoutMs ? { idleLogoutMs } : {});
  const far = await Far.open(tt, pair.b);
  far.line('');
  await far.waitFor(/colony login: $/);
  return { far, log };
}

async function login(far: Far, user: string): Promise<void> {
  let m = far.mark;
  far.line(user);
  await far.waitFor(/password: $/, m);
  m = far.mark;
  far.line(PASSWORDS[user]!);
  await far.waitFor(/colony> $/, m);
}

// Bytes that are not UTF-8, as a 9600-baud terminal looks at 115200.
const noise = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80, 0x9f, 0xe2, 0x82, 0x41, 0xf0]);

t.test('noise at the login prompt and at the console prompt: a hint, nothing run', async (t) => {
  const { far, log } = await world(t);
  let m = far.mark;
  far.send(Buffer.concat([noise, Buffer.from('\n')]));
  t.match(await far.waitFor(/colony login: $/, m), /bytes that are not text.*115200 8N1/);
  t.notOk(log.lines.some((l) => l.msg === 'serial login refused'), 'noise is no login attempt');
  await login(far, 'alice');
  m = far.mark;
  far.send(Buffer.concat([Buffer.from('sta'), noise, Buffer.from('tus\nwhoami\n')]));
  const seen = await far.waitFor(/alice[^\n]*\r\ncolony> $/, m, 'the whoami typed after the noise');
  t.match(seen, /bytes that are not text/);
  t.notMatch(seen, /environments of alice/, 'the noisy status did not run');
});

t.test('a very long line is refused whole, and the next line still runs', async (t) => {
  const { far } = await world(t);
  let m = far.mark;
  far.send(`${'x'.repeat(10_000)}\n`);
  t.match(await far.waitFor(/colony login: $/, m), /too long \(over 4096 characters; at most 4096\)/, 'at the login prompt');
  await login(far, 'alice');
  m = far.mark;
  far.send(`status ${'y'.repeat(5000)}\nstatus\n`);
  const seen = await far.waitFor(/environments of alice: none\r\ncolony> $/, m);
  t.match(seen, /too long/);
  t.equal(seen.split('environments of alice').length - 1, 1, 'only the short status ran');
  t.notMatch(seen, /\x07\x07/, 'one bell for the overflow, not one per key');
});

t.test('a flood typed ahead (200 KB without a newline) loses none of the lines after it', async (t) => {
  const { far } = await world(t);
  await login(far, 'alice');
  const m = far.mark;
  far.send(Buffer.concat([Buffer.alloc(200_000, 0x61), Buffer.from('\nwhoami\nstatus\n')]));
  const seen = await far.waitFor(/environments of alice: none\r\ncolony> $/, m, 'the status after the flood');
  t.match(seen, /too long/);
  t.match(seen, /whoami\r\nalice/);
});

t.test('idle: a logged-in session goes back to the login prompt by itself', async (t) => {
  const { far, log } = await world(t, 300);
  await login(far, 'alice');
  const m = far.mark;
  t.match(await far.waitFor(/colony login: $/, m), /idle for 1 second: logged out/);
  t.ok(log.lines.some((l) => l.msg === 'serial console: idle logout'));
});

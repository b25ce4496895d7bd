// /colony/proc/1 messages as data: strict request and reply shapes, the error codes a peer
// may carry, the reply planner's bounds (count, bytes, long command lines cut, unsendable
// and repeated processes left out), and frames read back through frames.ts with the bounds.
import t from 'tap';
import { ColonyError } from '../../../appliance/errors.js';
import type { ExecService, ProcessInfo } from '../../../appliance/exec/types.js';
import { encodeFrame, FrameReader } from '../../../appliance/peer/frames.js';
import {
  MAX_CMDLINE_CHARS, MAX_DETAIL_CHARS, MAX_PID, MAX_PROCESSES, MAX_REPLY_HEADER, MAX_REQUEST_HEADER, errorReply, fitProcInfo, parseProcInfo,
  parseProcReply, parseProcRequest, planProcessesReply, replyError, type ProcInfo,
} from '../../../appliance/peer/proc-protocol.js';
import type { ProcProvider } from '../../../appliance/peer/proc-service.js';

const proc = (pid: number, over: Partial<ProcInfo> = {}): ProcInfo => ({
  env: 'debian', owner: 'alice', pid, ppid: 1, uid: 0, state: 'S', name: 'sh', cmdline: ['sh', '-c', 'sleep 9'], session: 3, rssBytes: 4096, ...over,
});

t.test('the executor fits the provider and its ProcessInfo the wire type (structural, checked by tsc)', async (t) => {
  const asProvider = (e: ExecService): ProcProvider => e;
  const asInfo = (p: ProcessInfo): ProcInfo => p;
  t.same([typeof asProvider, typeof asInfo], ['function', 'function']);
});

t.test('well-formed requests', async (t) => {
  t.same(parseProcRequest({ t: 'list', user: 'alice' }), { t: 'list', user: 'alice' });
  t.same(parseProcRequest({ t: 'kill', user: 'bob', env: 'deb.1', pid: 42, sig: 'SIGTERM', extra: 1 }), { t: 'kill', user: 'bob', env: 'deb.1', pid: 42, sig: 'SIGTERM' });
});

t.test('malformed requests are COLONY_PROTOCOL', async (t) => {
  const kill = { t: 'kill', user: 'bob', env: 'deb', pid: 42, sig: 'SIGKILL' };
  for (const bad of [null, 3, [], {}, { t: 'ps' }, { t: 'list' }, { t: 'list', user: 'Alice' }, { t: 'list', user: 'a'.repeat(40) }, { t: 'list', user: 7 },
    { ...kill, pid: 0 }, { ...kill, pid: MAX_PID + 1 }, { ...kill, pid: 1.5 }, { ...kill, pid: '42' }, { ...kill, sig: 'KILL' }, { ...kill, sig: 'SIGNOPE' },
    { ...kill, sig: 'constructor' }, { ...kill, sig: 9 }, { ...kill, env: '../x' }, { ...kill, env: '' }, { ...kill, env: undefined }]) {
    t.throws(() => parseProcRequest(bad), { code: 'COLONY_PROTOCOL' }, JSON.stringify(bad)?.slice(0, 60));
  }
});

t.test('replies: processes rebuilt from known fields, killed, carried errors', async (t) => {
  const r = parseProcReply({ t: 'processes', procs: [{ ...proc(5), secret: 'x' }], truncated: false });
  t.same(r, { t: 'processes', procs: [proc(5)], truncated: false }, 'an unknown field is dropped');
  t.same(parseProcReply({ t: 'killed' }), { t: 'killed' });
  t.same(parseProcReply({ t: 'error', code: 'COLONY_PERMISSION', detail: 'not yours' }), { t: 'error', code: 'COLONY_PERMISSION', detail: 'not yours' });
});

t.test('malformed or lying replies are COLONY_PROTOCOL', async (t) => {
  const ok = (procs: unknown[]) => ({ t: 'processes', procs, truncated: false });
  for (const bad of [null, { t: 'ok' }, { t: 'processes', procs: [] }, { t: 'processes', truncated: false }, ok([proc(1), proc(1)]),
    ok(Array.from({ length: MAX_PROCESSES + 1 }, (_, i) => proc(i + 1))), ok([null]), ok([{ ...proc(1), pid: -1 }]), ok([{ ...proc(1), pid: 2 ** 40 }]),
    ok([{ ...proc(1), uid: -2 }]), ok([{ ...proc(1), rssBytes: 1e300 }]), ok([{ ...proc(1), session: 'x' }]), ok([{ ...proc(1), name: 'n'.repeat(65) }]),
    ok([{ ...proc(1), cmdline: 'sh' }]), ok([{ ...proc(1), cmdline: [1] }]), ok([{ ...proc(1), cmdline: ['x'.repeat(MAX_CMDLINE_CHARS + 1)] }]),
    ok([{ ...proc(1), env: 'a/b' }]), ok([{ ...proc(1), owner: 'Root!' }]), ok([{ ...proc(1), state: undefined }]),
    { t: 'error', code: 'COLONY_PROTOCOL', detail: 'x' }, { t: 'error', code: 'EPERM', detail: 'x' }, { t: 'error', code: 'COLONY_IO' },
    { t: 'error', code: 'COLONY_IO', detail: 'x'.repeat(MAX_DETAIL_CHARS + 1) }]) {
    t.throws(() => parseProcReply(bad), { code: 'COLONY_PROTOCOL' }, JSON.stringify(bad)?.slice(0, 60));
  }
});

t.test('the reply planner: long command lines cut, unsendable and repeated left out, count and bytes bounded', async (t) => {
  const long = proc(7, { cmdline: ['make', 'x'.repeat(10_000), 'more'], name: 'n'.repeat(100), state: 's'.repeat(50) });
  const fitted = fitProcInfo(long)!;
  t.same(fitted.cmdline, ['make', 'x'.repeat(MAX_CMDLINE_CHARS - 4)], 'cut at the bound, later arguments gone');
  t.equal(fitted.name.length, 64);
  t.same(parseProcInfo(fitted), fitted, 'what is sent passes the asker\'s check');
  t.equal(fitProcInfo(proc(0)), undefined, 'pid 0 cannot be sent');

  const plan = planProcessesReply([proc(1), proc(0), proc(1), proc(2)]);
  t.same(plan.reply.procs.map((p) => p.pid), [1, 2]);
  t.equal(plan.dropped, 2);
  t.equal(plan.reply.truncated, false);

  const many = planProcessesReply(Array.from({ length: MAX_PROCESSES + 10 }, (_, i) => proc(i + 1)));
  t.equal(many.reply.procs.length, MAX_PROCESSES);
  t.equal(many.reply.truncated, true);

  const big = Array.from({ length: 2000 }, (_, i) => proc(i + 1, { cmdline: ['\u0001'.repeat(MAX_CMDLINE_CHARS)] }));
  const bytes = planProcessesReply(big);
  t.ok(bytes.reply.truncated, 'escaped control characters fill the byte budget first');
  const frame = encodeFrame(bytes.reply, undefined, MAX_REPLY_HEADER)[0]!;
  t.ok(frame.length <= MAX_REPLY_HEADER + 8, `${frame.length} bytes, under the bound`);
  t.ok(bytes.reply.procs.length > 100);
});

t.test('errors to the wire and back', async (t) => {
  t.same(errorReply(new ColonyError('COLONY_NOT_FOUND', 'no process 9')), { t: 'error', code: 'COLONY_NOT_FOUND', detail: 'no process 9' });
  const odd = errorReply(new ColonyError('COLONY_CORRUPT_DATA', 'bad'));
  t.equal(odd.code, 'COLONY_IO', 'a code a peer may not carry travels as COLONY_IO');
  t.match(odd.detail, /COLONY_CORRUPT_DATA: bad/);
  t.equal(errorReply(new Error('x'.repeat(2000))).detail.length, MAX_DETAIL_CHARS);
  const back = replyError('12D3KooWnode', { code: 'COLONY_PERMISSION', detail: 'not yours' });
  t.equal(back.code, 'COLONY_PERMISSION');
  t.equal(back.detail, '12D3KooWnode: not yours');
});

t.test('frames through the reader: split bytes read back, a request over its bound refused from the prefix', async (t) => {
  const bytes = encodeFrame({ t: 'kill', user: 'alice', env: 'deb', pid: 9, sig: 'SIGTERM' })[0]!;
  async function* chunks(b: Buffer) { for (const x of b) yield Uint8Array.of(x); }
  const reader = new FrameReader(chunks(bytes), { maxHeader: MAX_REQUEST_HEADER, maxBody: 0 }, parseProcRequest);
  t.same(await reader.next(1000), { msg: { t: 'kill', user: 'alice', env: 'deb', pid: 9, sig: 'SIGTERM' }, body: Buffer.alloc(0) });
  t.equal(await reader.next(1000), undefined);
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(MAX_REQUEST_HEADER + 1, 0);
  const r2 = new FrameReader(chunks(huge), { maxHeader: MAX_REQUEST_HEADER, maxBody: 0 }, parseProcRequest);
  await t.rejects(r2.next(1000), { code: 'COLONY_PROTOCOL' });
});

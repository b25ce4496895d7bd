// A request's Cancel: its AbortSignal is made only when read, and reading it after the
// abort (a flush, a lost connection) still gives an aborted signal; callers see the same.
import t from 'tap';
import { caller, Cancel, type Fid } from '../../../appliance/ninep/fid.js';

const fid = { att: { user: { uid: 7, gid: 8, uname: 'u' } } } as unknown as Fid;

t.test('the signal is made on first read, is the same object after, and follows abort', async (t) => {
  const c = new Cancel();
  t.equal(c.aborted, false);
  const s = c.signal;
  t.equal(c.signal, s, 'one signal per request');
  let fired = 0;
  s.addEventListener('abort', () => fired++);
  c.abort();
  t.ok(s.aborted);
  t.equal(fired, 1);
  t.ok(c.aborted);
});

t.test('aborted before anyone looked: the signal read later is already aborted', async (t) => {
  const c = new Cancel();
  c.abort();
  t.ok(c.aborted);
  t.ok(c.signal.aborted);
  t.ok(Cancel.aborted().signal.aborted);
});

t.test('a caller carries the user and reads the signal through its Cancel, when asked', async (t) => {
  const c = new Cancel();
  const who = caller(fid, c);
  t.same({ uid: who.uid, gid: who.gid, uname: who.uname }, { uid: 7, gid: 8, uname: 'u' });
  c.abort();
  t.ok(who.signal.aborted, 'aborted after the caller was made');
  t.equal(who.signal, c.signal);
});

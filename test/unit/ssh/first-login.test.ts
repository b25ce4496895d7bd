// Replacing a one-time password, as data: scripted answers in, what was said and stored out.
import t from 'tap';
import { ColonyError } from '../../../appliance/errors.js';
import { CHANGE_TRIES, forcePasswordChange, ONE_TIME_NOTICE, oneTimeExecRefusal } from '../../../appliance/console/ssh/first-login.js';

function script(answers: Array<string | undefined>) {
  const said: string[] = [];
  const stored: string[] = [];
  const asked: string[] = [];
  const accounts = {
    checkPassword: async (_u: string, p: string) => p === 'one-time',
    setPassword: async (_u: string, p: string) => {
      if (p.length > 10) throw new ColonyError('COLONY_INVALID', 'too long for this test');
      stored.push(p);
    },
  };
  const io = { ask: async (prompt: string) => { asked.push(prompt); return answers.shift(); }, say: (text: string) => { said.push(text); } };
  return { accounts, io, said, stored, asked };
}

t.test('a mismatch, the old one, an invalid one, then a good one', async (t) => {
  const s = script(['a', 'b', 'one-time', 'one-time', 'x'.repeat(11), 'x'.repeat(11), 'fresh', 'fresh']);
  t.equal(await forcePasswordChange(s.accounts, 'admin', s.io), false, 'three rounds used up before the good one');
  t.same(s.stored, []);
  const ok = script(['a', 'b', 'fresh', 'fresh']);
  t.equal(await forcePasswordChange(ok.accounts, 'admin', ok.io), true);
  t.same(ok.stored, ['fresh']);
  t.equal(ok.said[0], `${ONE_TIME_NOTICE}\n`);
  t.same(ok.asked, ['new password: ', 'new password again: ', 'new password: ', 'new password again: ']);
  t.match(ok.said.join(''), /differ; try again\n[^]*password changed\n/);
  t.match(s.said.join(''), /that is the one-time password[^]*too long for this test; try again[^]*unchanged; log in again/);
  t.equal(CHANGE_TRIES, 3);
});

t.test('giving up (Ctrl-D) stores nothing', async (t) => {
  const s = script(['fresh', undefined]);
  t.equal(await forcePasswordChange(s.accounts, 'admin', s.io), false);
  t.same(s.stored, []);
  t.equal(s.asked.length, 2);
});

t.test('an empty password is asked again', async (t) => {
  const s = script(['', '', 'ok', 'ok']);
  t.equal(await forcePasswordChange(s.accounts, 'admin', s.io), true);
  t.same(s.stored, ['ok']);
});

t.test('the exec refusal names the account and what to do', async (t) => {
  t.match(oneTimeExecRefusal('admin'), { error: 'COLONY_AUTH', output: /^error: admin's password is a one-time password .*log in interactively/ });
});

import t from 'tap';
import { formatExit, parseCtl, parseSignal, quote, tokenize } from '../../../appliance/exec/xcpu-ctl.js';

t.test('tokenize: blanks split, single quotes group, a doubled quote is one quote', async (t) => {
  t.same(tokenize('exec  ls\t-l  /tmp'), ['exec', 'ls', '-l', '/tmp']);
  t.same(tokenize("exec sh -c 'echo it''s here'"), ['exec', 'sh', '-c', "echo it's here"]);
  t.same(tokenize("a'b c'd ''"), ['ab cd', ''], 'quotes join with the word around them; an empty quote is an empty word');
  t.same(tokenize('   '), []);
  t.throws(() => tokenize("exec 'open"), { code: 'COLONY_INVALID' });
});

t.test('quote gives back what tokenize reads', async (t) => {
  for (const w of ['plain', 'a b', "it's", '', '$HOME', 'x=y/z.c']) t.same(tokenize(quote(w)), [w], w);
  t.equal(quote('ls'), 'ls');
});

t.test('parseCtl: one command per line, in order', async (t) => {
  t.same(parseCtl("env FOO='a b'\ncwd /tmp\n\nexec sh -c 'echo $FOO'\n"), [
    { verb: 'env', name: 'FOO', value: 'a b' },
    { verb: 'cwd', path: '/tmp' },
    { verb: 'exec', argv: ['sh', '-c', 'echo $FOO'] },
  ]);
  t.same(parseCtl('env EMPTY='), [{ verb: 'env', name: 'EMPTY', value: '' }]);
  t.same(parseCtl('kill\nkill TERM\nkill sigint\nkill 1\neof'), [
    { verb: 'kill', signal: 'SIGKILL' }, { verb: 'kill', signal: 'SIGTERM' }, { verb: 'kill', signal: 'SIGINT' },
    { verb: 'kill', signal: 'SIGHUP' }, { verb: 'eof' },
  ]);
});

t.test('parseCtl refuses what it does not understand', async (t) => {
  for (const bad of ['exec', 'env FOO', 'env =x', 'env 1A=x', 'env A=1 B=2', 'cwd', 'cwd a b', 'kill NOPE', 'kill 999', 'kill TERM now', 'eof now', 'run ls', "exec 'ls"]) {
    t.throws(() => parseCtl(bad), { code: 'COLONY_INVALID' }, bad);
  }
  t.throws(() => parseCtl('exec a\0b'), { code: 'COLONY_INVALID' }, 'NUL in an argument');
});

t.test('parseSignal and formatExit', async (t) => {
  t.equal(parseSignal(undefined), 'SIGKILL');
  t.equal(parseSignal(undefined, 'SIGTERM'), 'SIGTERM');
  t.equal(parseSignal('9'), 'SIGKILL');
  t.equal(formatExit({ code: 0, signal: null, status: 0 }), '0\n');
  t.equal(formatExit({ code: 3, signal: null, status: 3 }), '3\n');
  t.equal(formatExit({ code: null, signal: 'SIGKILL', status: 137 }), '137 SIGKILL\n');
});

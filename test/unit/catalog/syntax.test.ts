import t from 'tap';
import { checkComment, checkMeta, checkName, checkOrigin, checkUserName, parseQualified } from '../../../appliance/catalog/syntax.js';

t.test('user names are lowercase, start with a letter or _, and are at most 32 characters', async (t) => {
  for (const ok of ['alice', '_svc', 'a', 'bob-2', 'x_y-z', 'a'.repeat(32)]) t.equal(checkUserName(ok), ok, ok);
  for (const bad of ['', 'Alice', '1bob', '-x', 'a'.repeat(33), 'al ice', 'al/ice', 'é', 'a.b']) {
    t.throws(() => checkUserName(bad), { code: 'COLONY_INVALID', message: /bad user name/ }, JSON.stringify(bad));
  }
  t.throws(() => checkUserName(42), { code: 'COLONY_INVALID' });
});

t.test('names: no slash, whitespace or control characters, not . or .., 1..128 bytes', async (t) => {
  for (const ok of ['debian', 'debian-dev', 'v1.2_rc', '...', 'ünïcødé', '日本語', '.hidden', 'a'.repeat(128), 'é'.repeat(64), '😀']) {
    t.equal(checkName(ok), ok, ok);
  }
  const cases: Array<[unknown, RegExp]> = [
    ['', /empty/],
    ['a/b', /contains '\/'/],
    ['.', /reserved/],
    ['..', /reserved/],
    ['a b', /whitespace.*U\+0020/],
    ['a\tb', /U\+0009/],
    ['a\u0000b', /U\+0000/],
    ['a\u007fb', /U\+007F/],
    ['a\u00a0b', /U\+00A0/],
    ['a\u2028b', /U\+2028/],
    ['a\u202eb', /U\+202E/], // a right-to-left override would disguise a name in a listing
    ['a'.repeat(129), /129 bytes.*128/],
    ['é'.repeat(65), /130 bytes/],
    ['a\ud800b', /not valid Unicode/],
    [7, /must be a string/],
  ];
  // Described by index: some of these characters would break TAP's own line format.
  cases.forEach(([bad, msg], i) => t.throws(() => checkName(bad), { code: 'COLONY_INVALID', message: msg }, `case ${i}`));
});

t.test('node ids are printable ASCII without the key separator', async (t) => {
  t.equal(checkOrigin('node-1'), 'node-1');
  t.equal(checkOrigin('b3:abc.DEF_9'), 'b3:abc.DEF_9');
  for (const bad of ['', 'a\u0000b', 'with space', 'x'.repeat(129), '-lead', 'ü', undefined]) {
    t.throws(() => checkOrigin(bad), { code: 'COLONY_INVALID' }, JSON.stringify(bad));
  }
});

t.test('comments and metadata are bounded and come back in a canonical form', async (t) => {
  t.equal(checkComment(undefined), '');
  t.equal(checkComment('two\nlines\tand a tab'), 'two\nlines\tand a tab');
  t.throws(() => checkComment('bell\u0007'), { code: 'COLONY_INVALID', message: /control/ });
  t.throws(() => checkComment('x'.repeat(1025)), { code: 'COLONY_INVALID', message: /1024/ });
  t.throws(() => checkComment(3), { code: 'COLONY_INVALID' });
  t.same(Object.keys(checkMeta({ z: '1', a: '2', 'm.k-2': '' })), ['a', 'm.k-2', 'z'], 'keys sorted');
  t.same(checkMeta(undefined), {});
  t.throws(() => checkMeta({ 'Bad Key': 'x' }), { code: 'COLONY_INVALID', message: /bad meta key/ });
  t.throws(() => checkMeta({ k: 1 }), { code: 'COLONY_INVALID', message: /must be a string/ });
  t.throws(() => checkMeta(['x']), { code: 'COLONY_INVALID' });
  t.throws(() => checkMeta(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']))), { code: 'COLONY_INVALID', message: /33 entries/ });
  t.throws(() => checkMeta({ k: 'v'.repeat(1025) }), { code: 'COLONY_INVALID' });
});

t.test('owner/name splits at the first slash and checks both parts', async (t) => {
  t.same(parseQualified('debian'), { name: 'debian' });
  t.same(parseQualified('alice/debian'), { owner: 'alice', name: 'debian' });
  t.throws(() => parseQualified('alice/deb/ian'), { code: 'COLONY_INVALID', message: /contains '\/'/ });
  t.throws(() => parseQualified('Alice/debian'), { code: 'COLONY_INVALID', message: /user name/ });
  t.throws(() => parseQualified('alice/'), { code: 'COLONY_INVALID', message: /empty/ });
});

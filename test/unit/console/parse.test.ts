// The grid language's parser: every verb, its aliases, and a usage line for every mistake.
import t from 'tap';
import { helpText, parse } from '../../../appliance/console/parse.js';

t.test('each verb parses to its command', async (t) => {
  t.same(parse('scores'), { verb: 'scores' });
  t.same(parse('  scores  deb*  '), { verb: 'scores', filter: 'deb*' });
  t.same(parse('spawn debian'), { verb: 'spawn', cache: 'ram', name: 'debian' });
  t.same(parse('spawn alice/debian as d2'), { verb: 'spawn', cache: 'ram', name: 'alice/debian', as: 'd2' });
  t.same(parse('spawndisk debian'), { verb: 'spawn', cache: 'disk', name: 'debian' });
  t.same(parse('spawndisk debian as dd'), { verb: 'spawn', cache: 'disk', name: 'debian', as: 'dd' });
  t.same(parse('save debian debian-dev'), { verb: 'save', env: 'debian', name: 'debian-dev' });
  t.same(parse('savedisk debian debian-dev'), { verb: 'save', env: 'debian', name: 'debian-dev' }, 'savedisk is an alias');
  t.same(parse('invite bob debian'), { verb: 'invite', user: 'bob', env: 'debian' });
  t.same(parse('boom debian'), { verb: 'boom', env: 'debian' });
  t.same(parse('status'), { verb: 'status' });
  t.same(parse('help'), { verb: 'help' });
  t.same(parse('help spawn'), { verb: 'help', topic: 'spawn' });
  t.same(parse('?'), { verb: 'help' });
  t.same(parse('exit'), { verb: 'exit' });
  t.same(parse('quit'), { verb: 'exit' });
  t.same(parse('   '), { verb: 'none' });
  t.same(parse('# a comment'), { verb: 'none' });
  t.same(parse('status\r'), { verb: 'status' }, 'a CR from a serial line is a blank');
});

t.test('mistakes are COLONY_USAGE with the syntax', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['spawn', /usage: spawn NAME \[as ENV\]/],
    ['spawn a b', /usage: spawn NAME/],
    ['spawn a like b', /usage: spawn NAME/],
    ['spawndisk a as', /usage: spawndisk NAME/],
    ['save x', /usage: save ENV NEWNAME/],
    ['savedisk x y z', /usage: savedisk ENV NEWNAME/],
    ['invite bob', /usage: invite USER ENV/],
    ['boom', /usage: boom ENV/],
    ['status now', /usage: status/],
    ['scores a b', /usage: scores/],
    ['exit now', /usage: exit/],
    ['rm -rf /', /unknown command 'rm' \(type help for the list\)/],
  ];
  for (const [line, msg] of cases) t.throws(() => parse(line), { code: 'COLONY_USAGE', message: msg }, line);
});

t.test('help lists every verb; help VERB explains one', async (t) => {
  const all = helpText();
  for (const v of ['scores', 'spawn NAME', 'spawndisk', 'save ENV', 'savedisk', 'invite USER ENV', 'boom ENV', 'status', 'help', 'exit']) t.match(all, v);
  t.match(helpText('boom'), /^boom ENV \[--reason TEXT\]\n  stop ENV/);
  t.throws(() => helpText('frob'), { code: 'COLONY_USAGE' });
});

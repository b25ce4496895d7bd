// `users remove` refuses while the user has environments unless --boom is given, then booms
// them; a removed user's session runs nothing more; `boom ENV --reason TEXT` carries the
// reason to the grid, and `status` shows the owner what admins said.
import t from 'tap';
import { runLine, type ConsoleContext, type GridVerbs } from '../../../appliance/console/index.js';
import { parse } from '../../../appliance/console/parse.js';
import { notFound } from '../../../appliance/errors.js';
import type { BoomNotice } from '../../../appliance/grid/index.js';

function world(envs: Record<string, string[]>) {
  const calls: unknown[][] = [];
  const live = new Set(['root', 'alice', 'bob']);
  const accounts = {
    getUser: (n: string) => {
      if (!live.has(n)) throw notFound(`user '${n}'`);
      return { name: n, role: n === 'root' ? 'admin' : 'user', hasPassword: true, keys: [] };
    },
    removeUser: async (n: string) => { calls.push(['removeUser', n]); live.delete(n); },
  } as unknown as NonNullable<ConsoleContext['accounts']>;
  const notices: BoomNotice[] = [{ env: 'b1', owner: 'bob', by: 'root', reason: 'the disk is full', at: '2026-12-06T20:00:00.000Z', unsaved: true }];
  const grid = {
    status: () => [],
    ownedBy: (owner: string) => envs[owner] ?? [],
    boomAllOf: async (by: string, owner: string, reason: string) => {
      calls.push(['boomAllOf', by, owner, reason]);
      const out = (envs[owner] ?? []).map((name, i) => ({ name, unsaved: i === 0, owner }));
      delete envs[owner];
      return out;
    },
    boom: async (user: string, env: string, opts?: { reason?: string }) => {
      calls.push(['boom', user, env, opts]);
      return { name: env, unsaved: false, ...(opts?.reason ? { owner: 'bob' } : {}) };
    },
    notices: (user: string) => notices.filter((n) => n.owner === user),
  } as unknown as GridVerbs;
  const ctx = (user: string): ConsoleContext => ({ user, grid, accounts });
  return { calls, ctx };
}

t.test('users remove refuses while the user has environments, and names them', async (t) => {
  const w = world({ alice: ['a', 'b'] });
  const r = await runLine(w.ctx('root'), 'users remove alice');
  t.equal(r.error, 'COLONY_NOT_EMPTY');
  t.equal(r.output, 'error: alice has 2 environments (a, b); `users remove alice --boom` destroys them, unsaved changes included');
  t.same(w.calls, [], 'nothing was removed or boomed');
  t.match(await runLine(w.ctx('root'), 'users remove ghost --boom'), { error: 'COLONY_NOT_FOUND' });
  t.match(await runLine(w.ctx('root'), 'users remove alice --force'), { error: 'COLONY_USAGE' });
  t.match(await runLine(w.ctx('alice'), 'users remove bob --boom'), { error: 'COLONY_PERMISSION' }, 'admins only');
});

t.test('users remove --boom removes the user, then booms every environment of theirs', async (t) => {
  const w = world({ alice: ['a', 'b'] });
  const r = await runLine(w.ctx('root'), 'users remove alice --boom');
  t.same(r, {
    output: 'removed user alice\nboomed 2 environments: a (unsaved changes lost), b',
    json: { name: 'alice', removed: true, boomed: [{ name: 'a', unsaved: true }, { name: 'b', unsaved: false }] },
  });
  t.same(w.calls, [['removeUser', 'alice'], ['boomAllOf', 'root', 'alice', 'user alice removed by root']], 'removed first, so no spawn slips in between');
});

t.test('a user without environments is removed without --boom (and a racing spawn is still boomed)', async (t) => {
  const w = world({});
  t.same(await runLine(w.ctx('root'), 'users remove bob'), { output: 'removed user bob', json: { name: 'bob', removed: true, boomed: [] } });
  t.same(w.calls.map((c) => c[0]), ['removeUser', 'boomAllOf']);
});

t.test('a removed user\'s open session runs nothing more and ends', async (t) => {
  const w = world({});
  const alice = w.ctx('alice');
  t.match(await runLine(alice, 'status'), { error: undefined });
  await runLine(w.ctx('root'), 'users remove alice');
  for (const line of ['status', 'whoami', 'spawn debian', 'keys add ssh-ed25519 AAAA x', 'help']) {
    t.same(await runLine(alice, line), { output: "error: the account 'alice' was removed; this session ends", error: 'COLONY_AUTH', exit: true }, line);
  }
  t.same(w.calls.filter((c) => c[0] === 'boom'), [], 'no grid verb ran for her');
});

t.test('boom ENV --reason TEXT: parsed, passed on, answered', async (t) => {
  t.same(parse('boom b1 --reason the disk is  full'), { verb: 'boom', env: 'b1', reason: 'the disk is  full' }, 'the reason is the rest of the line as written');
  t.same(parse('boom b1'), { verb: 'boom', env: 'b1' });
  t.throws(() => parse('boom b1 --reason'), { code: 'COLONY_USAGE', message: /usage: boom ENV \[--reason TEXT\]/ });
  t.throws(() => parse('boom b1 because'), { code: 'COLONY_USAGE' });
  const w = world({});
  t.same(await runLine(w.ctx('root'), 'boom b1 --reason the disk is full'), {
    output: "boomed bob's b1; bob sees the reason in status",
    json: { name: 'b1', unsaved: false, owner: 'bob' },
  });
  t.same(w.calls, [['boom', 'root', 'b1', { reason: 'the disk is full' }]]);
});

t.test('status shows the owner what admins said when they boomed their environments', async (t) => {
  const w = world({});
  const bob = await runLine(w.ctx('bob'), 'status');
  t.equal(bob.output, 'no environments running\nnotice: b1 was boomed by admin root at 2026-12-06 20:00:00 UTC: the disk is full (its unsaved changes were lost)');
  t.equal((await runLine(w.ctx('alice'), 'status')).output, 'no environments running', 'nobody else sees it');
});

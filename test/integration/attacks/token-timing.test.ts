// Environment tokens (issue 12, "keep what held"). Over TCP an environment is reached only
// with its capability token in the aname (env/NAME/TOKEN). Wrong tokens of every length, every
// prefix of the right one, and the right one with any one byte changed are refused, and the
// comparison is constant-time: crypto.timingSafeEqual over the whole token, never a
// short-circuiting ===. (grid-lifecycle.test.ts keeps one wrong token, a missing one and a
// revoked one through the grid API.)
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import t from 'tap';
import { Environment } from '../../../appliance/grid/index.js';
import { NinepClient, L_O_RDWR } from '../../../appliance/ninep/index.js';
import { NOFID } from '../../../appliance/ninep/constants.js';
import { errnoFor, E } from '../../../appliance/ninep/errno.js';
import { preparedData, startedSupervisor } from '../supervisor/seeded-supervisor.js';

t.test('over TCP only the exact token reaches the environment', async (t) => {
  const data = await preparedData(t);
  const { tcp, unix } = await startedSupervisor(t, data);
  const ctl = await NinepClient.connect(unix);
  const { fid } = await ctl.attach('ctl', 'admin');
  const f = await ctl.walkPath(fid, 'ctl');
  await ctl.open(f, L_O_RDWR);
  await ctl.write(f, 0, Buffer.from('spawn deb'));
  const reply = (await ctl.readAll(f)).toString();
  ctl.close();
  const token = /aname: env\/deb\/(\S+)/.exec(reply)?.[1];
  t.ok(token && token.length === 32, `the spawn gives a 32-character token: ${reply}`);

  const c = await NinepClient.connect(tcp);
  t.teardown(() => c.close());
  let nextFid = 100;
  const attach = async (aname: string) => {
    try {
      await c.rpc({ type: 'Tattach', fid: nextFid++, afid: NOFID, uname: 'root', aname, nUname: 0 });
      return 0;
    } catch (err) { return errnoFor(err); }
  };
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const other = (ch: string) => alphabet[(alphabet.indexOf(ch) + 1) % alphabet.length]!;
  const wrong = new Map<string, string>();
  for (let n = 0; n <= 64; n++) wrong.set(`${n} characters`, 'A'.repeat(n));
  for (let n = 1; n < 32; n++) wrong.set(`the first ${n} characters`, token!.slice(0, n));
  for (let i = 0; i < 32; i++) wrong.set(`character ${i} changed`, token!.slice(0, i) + other(token![i]!) + token!.slice(i + 1));
  wrong.set('one character more', `${token}A`);
  wrong.set('the token twice', `${token}${token}`);
  wrong.set('the token with its case flipped', [...token!].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join(''));
  wrong.set('one character multi-byte', `${token!.slice(0, 31)}é`);
  wrong.set('the last character dropped and a NUL added', `${token!.slice(0, 31)}\0`);
  const let_in: string[] = [];
  for (const [why, bad] of wrong) {
    if (bad === token) continue; // the case flip of an all-digit token; not expected, but never a failure
    const got = await attach(`env/deb/${bad}`);
    if (got !== E.EACCES && got !== E.ENOENT && got !== E.EINVAL) let_in.push(`${why}: errno ${got}`);
  }
  t.same(let_in, [], `all ${wrong.size} wrong tokens are refused`);
  t.equal(await attach(`env/other/${token}`), E.EACCES, 'the right token for another name is refused');
  t.equal(await attach(`env/deb/${token}`), 0, 'the right token, after all those, still works');
  t.equal(await attach(`env/deb/${token}/`), 0, 'and the same with a trailing slash (the router drops empty parts)');
});

t.test('the token comparison is timingSafeEqual over equal lengths, whatever the difference', async (t) => {
  const calls: Array<[number, number]> = [];
  const real = crypto.timingSafeEqual;
  // The ESM binding environment.ts imported follows the CommonJS export once synced.
  crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => { calls.push([a.byteLength, b.byteLength]); return real(a, b); }) as typeof real;
  syncBuiltinESMExports();
  t.teardown(() => { crypto.timingSafeEqual = real; syncBuiltinESMExports(); });
  const token = 'Q'.repeat(16) + 'x'.repeat(16);
  const fakeVolume = { changeCount: 0, rootScore: Buffer.alloc(32) } as unknown as ConstructorParameters<typeof Environment>[4];
  const env = new Environment('deb', 'alice', 'ram', { owner: 'alice', name: 'deb', root: 'b3:' } as never, fakeVolume, token, new Date(0));
  const differAt = (i: number) => token.slice(0, i) + (token[i] === 'Q' ? 'R' : 'y') + token.slice(i + 1);
  t.equal(env.tokenMatches(differAt(0)), false, 'first byte differs');
  t.equal(env.tokenMatches(differAt(31)), false, 'last byte differs');
  t.equal(env.tokenMatches(differAt(15)), false, 'a middle byte differs');
  t.equal(env.tokenMatches(token), true, 'equal');
  t.same(calls, [[32, 32], [32, 32], [32, 32], [32, 32]], 'every equal-length comparison goes through timingSafeEqual over all 32 bytes');
  calls.length = 0;
  t.equal(env.tokenMatches('short'), false);
  t.equal(env.tokenMatches(''), false);
  t.equal(env.tokenMatches(`${token}x`), false);
  t.same(calls, [], 'a length mismatch is refused without comparing (the length is public: every token is 32 characters)');
});

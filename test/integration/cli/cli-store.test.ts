// The `colony` command as a user runs it: a real child process, real files, exit codes.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('store put, get, stats and verify from the command line', async (t) => {
  const data = await tmpDir(t);
  const file = join(data, 'hello.txt');
  await writeFile(file, 'hello\n');
  const env = { COLONY_DATA: join(data, 'var') };

  const put = await runCli(['store', 'put', file], { env });
  t.equal(put.code, 0, put.stderr);
  t.equal(put.stdout.toString(), `b3:8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99\t${file}\n`);

  const stdin = await runCli(['store', 'put', '--json', '-'], { env, input: Buffer.from([0, 1, 2, 255]) });
  t.equal(stdin.code, 0, stdin.stderr);
  const [entry] = JSON.parse(stdin.stdout.toString()) as Array<{ score: string; bytes: number }>;
  t.equal(entry!.bytes, 4);

  const get = await runCli(['store', 'get', entry!.score], { env });
  t.equal(get.code, 0);
  t.same(get.stdout, Buffer.from([0, 1, 2, 255]), 'binary bytes come back exactly');

  const stats = await runCli(['store', 'stats', '--json'], { env });
  const s = JSON.parse(stats.stdout.toString()) as { blocks: number; hash: string };
  t.equal(s.blocks, 2);
  t.equal(s.hash, 'native');

  const verify = await runCli(['store', 'verify'], { env });
  t.equal(verify.code, 0);
  t.match(verify.stdout.toString(), /2 blocks.*all verified/);

  const reindex = await runCli(['store', 'reindex'], { env });
  t.equal(reindex.code, 0);
  t.match(reindex.stdout.toString(), /reindexed 2 blocks/);
});

t.test('--data wins over COLONY_DATA', async (t) => {
  const data = await tmpDir(t);
  const r = await runCli(['store', 'stats', '--json', '--data', join(data, 'a')], { env: { COLONY_DATA: join(data, 'b') } });
  t.equal(JSON.parse(r.stdout.toString()).dir, join(data, 'a', 'store'));
});

t.test('exit codes: 1 for errors, 2 for usage mistakes, with clear messages', async (t) => {
  const data = await tmpDir(t);
  const env = { COLONY_DATA: data };
  const cases: Array<[string[], number, RegExp]> = [
    [['store', 'get', 'b3:' + '0'.repeat(64)], 1, /COLONY_NOT_FOUND: block b3:0+ not found/],
    [['store', 'get', 'nonsense'], 2, /not a score/],
    [['store', 'get'], 2, /takes 1 argument/],
    [['store', 'put', '/nonexistent/file'], 1, /COLONY_NOT_FOUND: reading \/nonexistent\/file/],
    [['store', 'put', '--type', '300', '/etc/hostname'], 2, /block type 300/],
    [['store', 'stats', '--bogus'], 2, /Unknown option '--bogus'/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
  ];
  for (const [args, code, msg] of cases) {
    const r = await runCli(args, { env });
    t.equal(r.code, code, args.join(' '));
    t.match(r.stderr, msg, args.join(' '));
  }
});

t.test('a file over the block size limit is refused and the others are stored', async (t) => {
  const data = await tmpDir(t);
  const big = join(data, 'big');
  const small = join(data, 'small');
  await writeFile(big, Buffer.alloc((1 << 20) + 1));
  await writeFile(small, 'small');
  const r = await runCli(['store', 'put', big, small], { env: { COLONY_DATA: join(data, 'var') } });
  t.equal(r.code, 1);
  t.match(r.stderr, /COLONY_TOO_LARGE: .*big is 1048577 bytes, over the block size limit/);
  t.match(r.stdout.toString(), /small\n$/);
});

t.test('every command answers --help with its usage', async (t) => {
  const { commands } = await import('../../../appliance/cli/main.js');
  for (const c of commands) {
    const r = await runCli([...c.path, '--help']);
    t.equal(r.code, 0, c.path.join(' '));
    t.match(r.stdout.toString(), new RegExp(`^usage: colony ${c.path.join(' ')}`), c.path.join(' '));
  }
  const top = await runCli(['--help']);
  t.match(top.stdout.toString(), /store verify/);
});

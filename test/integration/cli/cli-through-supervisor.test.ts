// Every one-shot command works while `colony serve` holds the data directory: the CLI
// reaches the running supervisor through DATA/console.sock, and a RAM environment spawned
// before survives all of it. Only `store reindex`, which needs the store to itself, refuses.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../helpers/cli.js';
import { manifest } from '../../helpers/manifest.js';
import { tmpDir } from '../../helpers/tmp.js';
import { consoleRun, seededData } from '../console/helpers.js';
import { serveChild } from './serve-child.js';

t.test('one-shot commands go through the running supervisor', async (t) => {
  const data = await seededData(t);
  await serveChild(t, data);
  const env = { COLONY_DATA: data };
  const spawned = await consoleRun(data, ['--user', 'alice'], ['spawn debian as live']);
  t.equal(spawned.code, 0, spawned.stderr + spawned.stdout.toString());

  const scores = await runCli(['scores', '--json', '--user', 'alice'], { env });
  t.equal(scores.code, 0, scores.stderr);
  t.same((JSON.parse(scores.stdout.toString()) as Array<{ name: string }>).map((r) => r.name).sort(), ['debian', 'plain']);

  const users = await runCli(['users', 'list', '--json'], { env });
  t.equal(users.code, 0, users.stderr);
  t.same((JSON.parse(users.stdout.toString()) as Array<{ name: string }>).map((u) => u.name).sort(), ['admin', 'alice', 'bob']);

  const d = await runCli(['diff', 'debian', 'plain', '--user', 'alice'], { env });
  t.equal(d.code, 0, d.stderr);
  t.match(d.stdout.toString(), /^- etc$/m);

  // Relative paths are the caller's, not the daemon's.
  const work = await tmpDir(t);
  const out = join(work, 'out');
  const exp = await runCli(['export', 'debian', out, '--user', 'alice'], { env });
  t.equal(exp.code, 0, exp.stderr);
  t.match(exp.stdout.toString(), /^exported debian to /);
  t.equal(await readFile(join(out, 'hello.txt'), 'utf8'), 'hello from the base\n');

  const tar = await runCli(['export', 'debian', '-', '--user', 'alice'], { env });
  t.equal(tar.code, 0, tar.stderr);
  t.match(execFileSync('tar', ['-tf', '-'], { input: tar.stdout }).toString(), /hello\.txt/, 'a tar stream on standard output');

  const src = join(work, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'sub', 'f'), 'from a directory\n');
  // Many 64 KiB frames each way, so the streams' flow control is exercised.
  await writeFile(join(src, 'big'), Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 7919) % 251)));
  const imp = await runCli(['import', src, 'fromdir', '--user', 'alice'], { env });
  t.equal(imp.code, 0, imp.stderr);
  t.match(imp.stdout.toString(), /^imported alice\/fromdir b3:[0-9a-f]{64}\n/);

  const tarball = execFileSync('tar', ['-C', src, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  const impTar = await runCli(['import', '-', 'fromtar', '--user', 'alice', '--json'], { env, input: tarball });
  t.equal(impTar.code, 0, impTar.stderr);
  t.match(JSON.parse(impTar.stdout.toString()), { name: 'fromtar', owner: 'alice' });
  const back = join(work, 'back');
  t.equal((await runCli(['export', 'fromtar', back, '--user', 'alice'], { env })).code, 0);
  t.same(await manifest(back), await manifest(src), 'the tar on standard input came through the socket whole');
  const tarBack = await runCli(['export', 'fromdir', '-', '--user', 'alice'], { env });
  t.ok(tarBack.stdout.length > 3 << 20, 'a large tar stream comes back whole');
  t.match(execFileSync('tar', ['-tvf', '-'], { input: tarBack.stdout }).toString(), /3145728 .*big/);

  const stats = await runCli(['store', 'stats', '--json'], { env });
  t.equal(stats.code, 0, stats.stderr);
  t.ok((JSON.parse(stats.stdout.toString()) as { blocks: number }).blocks > 0);
  const verify = await runCli(['store', 'verify'], { env });
  t.equal(verify.code, 0, verify.stderr);
  t.match(verify.stdout.toString(), /all verified/);

  const put = await runCli(['store', 'put', '-'], { env, input: 'a block\n' });
  t.equal(put.code, 0, put.stderr);
  const score = put.stdout.toString().split('\t')[0]!;
  const get = await runCli(['store', 'get', score], { env });
  t.equal(get.stdout.toString(), 'a block\n');

  const mistakes = await runCli(['export', 'nonesuch', join(work, 'x'), '--user', 'alice'], { env });
  t.equal(mistakes.code, 1);
  t.match(mistakes.stderr, /^colony: COLONY_NOT_FOUND: name 'nonesuch' not found\n$/, 'an error is one line, as without a supervisor');

  const reindex = await runCli(['store', 'reindex'], { env });
  t.equal(reindex.code, 1);
  t.equal(reindex.stderr.trim().split('\n').length, 1, reindex.stderr);
  t.match(reindex.stderr, /store reindex needs the store to itself: stop the supervisor first/);

  const status = await consoleRun(data, ['--user', 'alice'], ['status']);
  t.match(status.stdout.toString(), /^live\s+alice\s+alice\/debian\s+ram\s/m, 'the RAM environment is still running');
});

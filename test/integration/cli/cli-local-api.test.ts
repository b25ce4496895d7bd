// The CLI and the supervisor's local API in one process: `main()` dials DATA/console.sock of
// an in-process Supervisor, which runs the same command with its own services. (The child
// process tests cover the real binaries; this one shows the streams' edges as data.)
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { localExec } from '../../../appliance/cli/local-exec.js';
import { main } from '../../../appliance/cli/main.js';
import { FRAME, FrameReader, jsonFrame } from '../../../appliance/console/local-protocol.js';
import { MemoryLog } from '../../../appliance/log.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { Supervisor } from '../../../appliance/supervisor/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { seededData } from '../console/helpers.js';

async function run(argv: string[], opts: { input?: Buffer | string; cwd?: string } = {}) {
  const out = new PassThrough();
  const err = new PassThrough();
  const stdin = new PassThrough();
  const chunks: Buffer[] = [];
  let errText = '';
  out.on('data', (b: Buffer) => chunks.push(b));
  err.on('data', (b: Buffer) => { errText += b.toString(); });
  stdin.end(opts.input ?? '');
  const code = await main(argv, { out, err, stdin, env: {} }, { cwd: opts.cwd ?? process.cwd() });
  return { code, stdout: Buffer.concat(chunks), stderr: errText };
}

/** A seeded data directory served by an in-process Supervisor whose local API runs `colony` commands. */
async function inProcess(t: Test, options: { version?: string } = {}) {
  const data = await seededData(t);
  const config = validateConfig({ ninep: { listen: ['127.0.0.1:0'] }, ssh: { listen: '127.0.0.1:0' }, peer: { listen: ['127.0.0.1:0'] } }, defaultConfig(false));
  const log = new MemoryLog();
  const served = { data, log, version: '9.9.9', started: Date.now() };
  const sup: Supervisor = new Supervisor({ data, log, config, ...options, localExec: (req, io) => localExec(sup, served, req, io) });
  await sup.start();
  t.teardown(() => sup.stop());
  return { data, log };
}

t.test('one-shot commands and the console through an in-process supervisor', async (t) => {
  const { data } = await inProcess(t, { version: '9.9.9' });
  const d = ['--data', data];

  const scores = await run(['scores', '--json', '--user', 'alice', ...d]);
  t.equal(scores.code, 0, scores.stderr);
  t.same((JSON.parse(scores.stdout.toString()) as Array<{ name: string }>).map((r) => r.name).sort(), ['debian', 'plain']);

  const work = await tmpDir(t);
  await mkdir(join(work, 'src'));
  await writeFile(join(work, 'src', 'a'), 'relative paths are the caller’s\n');
  const imp = await run(['import', 'src', 'rel', ...d], { cwd: work });
  t.equal(imp.code, 0, imp.stderr);
  const exp = await run(['export', 'rel', 'out', ...d], { cwd: work });
  t.equal(exp.code, 0, exp.stderr);
  t.equal(await readFile(join(work, 'out', 'a'), 'utf8'), 'relative paths are the caller’s\n');

  const block = Buffer.alloc(200_000, 3); // several frames of standard input
  const put = await run(['store', 'put', '-', ...d], { input: block });
  t.equal(put.code, 0, put.stderr);
  const got = await run(['store', 'get', put.stdout.toString().split('\t')[0]!, ...d]);
  t.same(got.stdout, block, 'binary data both ways');

  const status = await run(['status', '--json', ...d]);
  t.equal(status.code, 0, status.stderr);
  t.match(JSON.parse(status.stdout.toString()), { health: 'ready', pid: process.pid, node: { version: '9.9.9' }, environments: [] });

  const reindex = await run(['store', 'reindex', ...d]);
  t.equal(reindex.code, 1);
  t.equal(reindex.stderr, 'colony: COLONY_LOCKED: store reindex needs the store to itself: stop the supervisor first\n');

  const cons = await run(['console', '--user', 'alice', ...d], { input: 'whoami\nspawn nope\nexit\nscores\n' });
  t.equal(cons.code, 1, 'a failed line gives status 1');
  t.equal(cons.stdout.toString(), "alice (user)\nerror: name 'nope' not found\n");
  const none = await run(['console', '--user', 'mallory', ...d], { input: 'whoami\n' });
  t.equal(none.stderr, "colony: COLONY_NOT_FOUND: no Colony user 'mallory'\n");
});

t.test('a caller that stops reading and goes away does not leave the command hanging', async (t) => {
  const { data, log } = await inProcess(t);
  const work = await tmpDir(t);
  await writeFile(join(work, 'big'), Buffer.from(Array.from({ length: 16 << 20 }, (_, i) => (i * 31) % 253)));
  t.equal((await run(['import', work, 'big', '--data', data])).code, 0);

  // A raw client asks for a 16 MiB tar on its standard output, reads none of it, and leaves.
  const sock = connect(join(data, 'console.sock'));
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  sock.write(Buffer.concat([
    jsonFrame(FRAME.HELLO, { protocol: 'colony-local', version: 1 }),
    jsonFrame(FRAME.EXEC, { argv: ['export', 'big', '-'], cwd: work, tty: { stdin: false, stdout: false, stderr: false } }),
  ]));
  sock.pause();
  const done = () => log.lines.some((l) => l.msg === 'colony command done' && l.command === 'export big');
  for (let i = 0; i < 100 && !log.lines.some((l) => l.msg === 'colony command done' || l.level === 'error') && sock.bytesRead === 0; i++) await new Promise((r) => setTimeout(r, 20));
  sock.destroy();
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(done(), 'the export ended once its caller was gone');
  const after = await run(['scores', '--json', '--data', data]);
  t.equal(after.code, 0, 'and the supervisor still answers');
});

t.test('an import whose caller goes away (Ctrl-C) registers no name', async (t) => {
  const { data, log } = await inProcess(t);
  const src = await tmpDir(t);
  for (let i = 0; i < 1500; i++) await writeFile(join(src, `f${i}`), Buffer.alloc(8192, i % 251));

  // The caller asks for progress on a terminal and leaves at the first progress line.
  const sock = connect(join(data, 'console.sock'));
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  const reader = new FrameReader();
  const left = new Promise<void>((resolve) => sock.on('data', (b: Buffer) => {
    if (reader.push(b).some((f) => f.type === FRAME.STDERR)) { sock.destroy(); resolve(); }
  }));
  sock.write(Buffer.concat([
    jsonFrame(FRAME.HELLO, { protocol: 'colony-local', version: 1 }),
    jsonFrame(FRAME.EXEC, { argv: ['import', src, 'cancelled'], cwd: src, tty: { stdin: false, stdout: false, stderr: true } }),
  ]));
  await left;
  const ended = () => log.lines.find((l) => l.msg === 'colony command done' && String(l.command).startsWith('import'));
  for (let i = 0; i < 1500 && !ended(); i++) await new Promise((r) => setTimeout(r, 20));
  t.match(ended(), { code: 1, gone: true }, 'the import stopped');
  const names = JSON.parse((await run(['scores', '--json', '--data', data])).stdout.toString()) as Array<{ name: string }>;
  t.notOk(names.some((n) => n.name === 'cancelled'), 'and named nothing');
  t.equal((await run(['import', src, 'cancelled', '--data', data])).code, 0, 'the name is free for the next try');
});

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { tmpDir } from '../../helpers/tmp.js';
import { openCatalog } from './helpers.js';
import { Catalog } from '../../../appliance/catalog/index.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';
import { childEnv, tsLoader } from '../../helpers/cli.js';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Starts the child and resolves with it once `until` says enough lines were seen. */
function startChild(dir: string, mode: string, until: (lines: string[]) => boolean): Promise<{ proc: ChildProcess; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...tsLoader, child, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: childEnv() });
    const lines: string[] = [];
    let buf = '';
    let err = '';
    let done = false;
    proc.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      lines.push(...parts);
      if (!done && until(lines)) { done = true; resolve({ proc, lines }); }
    });
    proc.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
    proc.on('exit', (code, signal) => { if (!done) { done = true; reject(new Error(`child ended early (${code ?? signal}): ${err}`)); } });
  });
}

const killed = (proc: ChildProcess) => new Promise<void>((resolve) => { proc.on('exit', () => resolve()); proc.kill('SIGKILL'); });

t.test('a process killed while appending loses no acknowledged event', async (t) => {
  const dir = await tmpDir(t);
  const acked: string[] = [];
  for (const [round, stopAt] of [[1, 25], [2, 60]] as const) {
    const { proc, lines } = await startChild(dir, 'append', (l) => l.filter((x) => x.startsWith('ack ')).length >= stopAt);
    await killed(proc);
    acked.push(...lines.filter((x) => x.startsWith('ack ')).map((x) => x.slice(4)));
    const c = await Catalog.open(dir, { nodeId: 'crashy', scrypt: fastScrypt });
    const missing = acked.filter((n) => { try { c.getName('alice', n); return false; } catch { return true; } });
    t.same(missing, [], `round ${round}: every acknowledged name is there`);
    const { seq, names } = c.stats();
    t.equal(names, seq - 1, `round ${round}: the log is one add then contiguous names, none torn`);
    t.ok(seq > acked.length, `round ${round}: ${seq} events held, ${acked.length} acknowledged`);
    await c.close();
  }
});

t.test('a catalog held open by another process is COLONY_LOCKED', async (t) => {
  const dir = await tmpDir(t);
  const { proc } = await startChild(dir, 'hold', (l) => l.includes('ready'));
  t.teardown(() => killed(proc));
  await t.rejects(Catalog.open(dir, { nodeId: 'n' }), { code: 'COLONY_LOCKED', message: /in use by another process/ });
});

t.test('a catalog open in this process cannot be opened again; closed catalogs refuse calls', async (t) => {
  const { catalog, dir } = await openCatalog(t);
  await t.rejects(Catalog.open(dir, { nodeId: 'n' }), { code: 'COLONY_LOCKED' });
  await catalog.close();
  await catalog.close();
  t.throws(() => catalog.listUsers(), { code: 'COLONY_CLOSED' });
  await t.rejects(catalog.addUser({ name: 'x', role: 'user' }), { code: 'COLONY_CLOSED' });
  const again = await Catalog.open(dir, { nodeId: 'n' });
  await again.close();
  await t.rejects(Catalog.open(dir, { nodeId: 'bad id' }), { code: 'COLONY_INVALID' });
});

// One command set: the console (through the supervisor) and the ctl file answer the same
// lines with the same text, and refuse the same lines with the same code.
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../helpers/cli.js';
import { serveChild } from '../cli/serve-child.js';
import { consoleRun, seededData } from './helpers.js';

const LINES = ['whoami', 'scores', 'status', 'users list', 'keys list', 'help', 'help users', 'node', 'frobnicate', 'spawn nope', 'users add'];

t.test('console and ctl answer alike', async (t) => {
  const data = await seededData(t);
  await serveChild(t, data);
  const viaConsole = await consoleRun(data, ['--user', 'admin', '--json'], LINES);
  const replies = viaConsole.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { command: string; ok: boolean; output?: string; error?: string; message?: string });
  t.same(replies.map((r) => r.command), LINES);
  for (const [i, line] of LINES.entries()) {
    const r = replies[i]!;
    const ctl = await runCli(['9p', '--uname', 'admin', 'write', join(data, '9p.sock'), 'ctl', line]);
    if (r.ok) {
      t.equal(ctl.code, 0, `${line}: ${ctl.stderr}`);
      const text = ctl.stdout.toString();
      // node's uptime moves on between the two asks; the rest is the same text.
      if (line === 'node') t.equal(text.split('\n')[0], r.output!.split('\n')[0], line);
      else t.equal(text, `${r.output}\n`, line);
    } else {
      t.not(ctl.code, 0, line);
      // 9P carries an errno, not the code: EINVAL comes back as COLONY_INVALID for a usage mistake.
      const code = r.error === 'COLONY_USAGE' ? 'COLONY_INVALID' : r.error;
      t.equal(ctl.stderr, `colony: ${code}: ${r.message}\n`, line);
      t.equal(ctl.code, r.error === 'COLONY_USAGE' ? 2 : 1, `${line}: exit status`);
    }
  }
});

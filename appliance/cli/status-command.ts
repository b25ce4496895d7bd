// `colony status`: asks the running supervisor how it is (health, node, listeners, the
// environments). With no supervisor it says so in one line and exits 1.
import { statusText } from '../console/format.js';
import { uptimeText } from '../console/account-verbs.js';
import type { Command } from './command.js';
import { writeJson } from './command.js';
import { actingUser } from './data-dir.js';
import { readHealth } from '../supervisor/health.js';

export const statusCommand: Command = {
  path: ['status'],
  summary: 'Show the running supervisor: health, node, listeners and environments.',
  json: true,
  supervisor: 'forward',
  options: { user: { type: 'string', arg: 'USER', help: 'as USER (default: the first admin, who sees every environment)' } },
  description: `It asks the supervisor that holds the data directory, over DATA/console.sock. When none
runs it says so in one line and exits 1.`,
  async run(ctx) {
    const d = ctx.daemon;
    if (!d) {
      // health.json still says `ready` after a kill -9; readHealth sees the pid is gone.
      const h = await readHealth(ctx.data);
      const last = h.state === 'dead' ? `; the last one (pid ${h.pid}) ended without stopping (killed or crashed) while ${h.written}` : '';
      ctx.err.write(`colony: no supervisor is running on ${ctx.data}${last} (start one with 'colony serve')\n`);
      return 1;
    }
    const s = d.status(actingUser(ctx.values, d));
    if (ctx.json) { writeJson(ctx.out, s); return 0; }
    ctx.out.write([
      `health   ${s.health}`,
      `pid      ${s.pid}`,
      `node     ${s.node.id}`,
      `version  ${s.node.version}`,
      `uptime   ${uptimeText(s.node.uptimeMs)} (since ${s.node.started})`,
      `data     ${d.data}`,
      `9p       ${s.ninep.join(' ') || '-'}`,
      `ssh      ${s.ssh ?? '-'}`,
      `peer     ${s.peer ? s.peer.listen.join(' ') || '-' : 'off'}`,
      '',
      statusText(s.environments),
    ].join('\n') + '\n');
    return 0;
  },
};

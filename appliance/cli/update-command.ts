// `colony update FILE` and `colony update status`: the appliance image's A/B root update
// (appliance/update/ drives RAUC).
import { callerPath, writeJson, type Command } from './command.js';
import { checkUpdatable, formatStatus, installedText, installUpdate, rebootNow, updateStatus } from '../update/index.js';

export const updateCommands: Command[] = [
  {
    path: ['update'],
    summary: 'Install a signed update bundle into the other root slot (the appliance image; root).',
    params: 'FILE',
    arity: [1, 1],
    options: { reboot: { type: 'boolean', help: 'reboot into the new slot once it is installed' } },
    description: `The bundle (colony-amd64.raucb, made by npm run image -- --bundle) is checked against the
certificate the image trusts before anything is written. The next boot tries the new slot;
it is committed once the supervisor is ready, and three failed tries return to this slot.`,
    async run(ctx) {
      const st = await installUpdate(callerPath(ctx, ctx.args[0]!), (l) => ctx.err.write(l + '\n'));
      ctx.out.write(installedText(st));
      if (ctx.values.reboot) {
        ctx.err.write('rebooting\n');
        await rebootNow();
      }
      return 0;
    },
  },
  {
    path: ['update', 'status'],
    summary: 'The root slots: which is booted, good or bad, their versions, which boots next.',
    json: true,
    async run(ctx) {
      await checkUpdatable();
      const st = await updateStatus();
      if (ctx.json) writeJson(ctx.out, st);
      else ctx.out.write(formatStatus(st));
      return 0;
    },
  },
];

// `colony disk …` for the tests: the same Command objects, parsing and exit codes as main.ts,
// without importing the rest of the CLI (whose other commands these tests do not need).
import { diskCommands } from '../../../../appliance/cli/disk-commands.js';
import { helpText, parseCommand } from '../../../../appliance/cli/command.js';
import { ColonyError } from '../../../../appliance/errors.js';

async function run(argv: string[]): Promise<number> {
  const cmd = diskCommands.find((c) => c.path.every((w, i) => argv[i] === w));
  if (!cmd) { process.stderr.write(`no such disk command: ${argv.join(' ')}\n`); return 2; }
  try {
    const { help, ctx } = parseCommand(cmd, argv.slice(cmd.path.length), process.env);
    if (help) { process.stdout.write(helpText(cmd)); return 0; }
    return await cmd.run({ ...ctx, out: process.stdout, err: process.stderr, stdin: process.stdin, cwd: process.cwd() });
  } catch (err) {
    if (!(err instanceof ColonyError)) throw err;
    process.stderr.write(`colony: ${err.code === 'COLONY_USAGE' ? err.detail : err.message}\n`);
    return err.code === 'COLONY_USAGE' || err.code === 'COLONY_INVALID' ? 2 : 1;
  }
}
process.exitCode = await run(process.argv.slice(2));

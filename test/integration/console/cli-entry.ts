// Runs the real `colony` CLI with the console command present: main.ts's own table when
// it registers `console`, else with consoleCommand added (until the lead wires it in).
import { consoleCommand } from '../../../appliance/cli/console-command.js';
import { commands, main } from '../../../appliance/cli/main.js';

if (!commands.some((c) => c.path.join(' ') === 'console')) commands.push(consoleCommand);
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });

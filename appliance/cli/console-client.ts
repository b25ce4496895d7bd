// `colony console` against a running supervisor: the header line, then standard input line
// by line to DATA/console.sock, replies to standard output. The exit status comes back in
// the server's last line (see supervisor/console-socket.ts).
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fromSystemError } from '../errors.js';
import { CONSOLE_HEADER, EXIT_TRAILER } from '../supervisor/console-socket.js';
import type { CommandContext } from './command.js';

export async function consoleClient(ctx: CommandContext, path: string): Promise<number> {
  const sock = connect(path);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (err) => reject(fromSystemError(err, `connecting to the supervisor's console at ${path}`)));
  });
  const user = typeof ctx.values.user === 'string' ? ctx.values.user : '-';
  sock.write(`${CONSOLE_HEADER} ${user}${ctx.json ? ' json' : ''}\n`);
  const input = ctx.stdin as NodeJS.ReadableStream & { isTTY?: boolean };
  const terminal = input.isTTY === true && ctx.out.isTTY === true && !ctx.json;
  const lines = createInterface({ input, ...(terminal ? { output: ctx.out, terminal: true, prompt: 'colony> ' } : { terminal: false }) });
  if (terminal) { ctx.out.write('colony console (through the running supervisor); type help, exit to leave\n'); lines.prompt(); }
  lines.on('line', (line) => { sock.write(line + '\n'); if (line.trim() === 'exit') lines.close(); });
  lines.on('close', () => sock.end());
  let code = 1;
  let pending = '';
  for await (const chunk of sock) {
    pending += (chunk as Buffer).toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      if (line.startsWith(EXIT_TRAILER)) { code = Number(line.slice(EXIT_TRAILER.length)) || 0; continue; }
      ctx.out.write(line + '\n');
    }
    if (terminal) lines.prompt(true);
  }
  if (pending && !pending.startsWith(EXIT_TRAILER)) ctx.out.write(pending);
  lines.close();
  return code;
}

// `colony 9p ls|cat|write|stat ADDR PATH [DATA]`: a 9P client for scripting and debugging.
// One command with a verb argument, so options may come first as in
// `colony 9p --aname ctl write DATA/9p.sock ctl 'spawn debian'`.
import { userInfo } from 'node:os';
import { ColonyError, isColonyError, tooLarge, usage } from '../errors.js';
import { NinepClient } from '../ninep/client.js';
import { GETATTR_ALL, L_O_RDONLY, L_O_RDWR, S_IFMT, S_IFDIR, S_IFLNK } from '../ninep/constants.js';
import type { Command, CommandContext } from './command.js';
import { writeJson } from './command.js';

const VERBS = ['ls', 'cat', 'write', 'stat'] as const;
type Verb = (typeof VERBS)[number];
const STDIN_LIMIT = 16 * 1024 * 1024;

async function readStdin(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of stdin) {
    n += (chunk as Buffer).length;
    if (n > STDIN_LIMIT) throw tooLarge(`standard input is over ${STDIN_LIMIT} bytes`);
    chunks.push(Buffer.from(chunk as Buffer));
  }
  return Buffer.concat(chunks);
}

const uid = () => (process.getuid ? process.getuid() : 0xffffffff);
const modeString = (mode: number): string => {
  const t = mode & S_IFMT;
  const kind = t === S_IFDIR ? 'd' : t === S_IFLNK ? 'l' : '-';
  const rwx = (b: number) => `${b & 4 ? 'r' : '-'}${b & 2 ? 'w' : '-'}${b & 1 ? 'x' : '-'}`;
  return kind + rwx(mode >> 6) + rwx(mode >> 3) + rwx(mode);
};

async function run(ctx: CommandContext): Promise<number> {
  const [verb, addr, path, data] = ctx.args as [string, string, string, string | undefined];
  if (!VERBS.includes(verb as Verb)) throw usage(`unknown 9p verb '${verb}': use ${VERBS.join(', ')}`);
  if (data !== undefined && verb !== 'write') throw usage(`'colony 9p ${verb}' takes no DATA`);
  const aname = (ctx.values.aname as string | undefined) ?? 'ctl';
  const uname = (ctx.values.uname as string | undefined) ?? userInfo().username;
  const c = await NinepClient.connect(addr, { msize: 256 * 1024 });
  try {
    const root = await c.attach(aname, uname, uid());
    const fid = await c.walkPath(root.fid, path);
    switch (verb as Verb) {
      case 'ls': {
        await c.open(fid, L_O_RDONLY);
        const entries = (await c.readdir(fid)).filter((e) => e.name !== '.' && e.name !== '..');
        if (ctx.json) writeJson(ctx.out, entries.map((e) => ({ name: e.name, dir: (e.qid.type & 0x80) !== 0, qid: e.qid })));
        else for (const e of entries) ctx.out.write(`${e.name}${e.qid.type & 0x80 ? '/' : ''}\n`);
        return 0;
      }
      case 'cat': {
        await c.open(fid, L_O_RDONLY);
        ctx.out.write(await c.readAll(fid));
        return 0;
      }
      case 'write': {
        const body = data !== undefined ? Buffer.from(data) : await readStdin(ctx.stdin);
        await c.open(fid, L_O_RDWR);
        try {
          await c.write(fid, 0, body);
        } catch (err) {
          // A ctl command that failed failed the write; the same fid reads its message.
          const said = await c.readAll(fid).then((b) => b.toString().trim(), () => '');
          if (isColonyError(err) && said.startsWith('error: ')) throw new ColonyError(err.code, said.slice('error: '.length), { cause: err });
          throw err;
        }
        // A ctl file answers the command on the same fid; a plain file shows its contents.
        ctx.out.write(await c.readAll(fid));
        return 0;
      }
      case 'stat': {
        const a = await c.getattr(fid, GETATTR_ALL);
        const info = {
          path, mode: modeString(a.mode), size: a.size, uid: a.uid, gid: a.gid, nlink: a.nlink,
          mtime: new Date(a.mtimeSec * 1000).toISOString(), qid: a.qid,
        };
        if (ctx.json) writeJson(ctx.out, info);
        else ctx.out.write(`${info.mode} ${info.nlink} ${info.uid} ${info.gid} ${info.size} ${info.mtime} ${path}\n`);
        return 0;
      }
    }
  } finally {
    c.close();
  }
}

export const ninep: Command = {
  path: ['9p'],
  summary: 'Talk 9P to a Colony server: list, read, write or stat one file.',
  params: 'ls|cat|write|stat ADDR PATH [DATA]',
  arity: [3, 4],
  json: true,
  description: `ADDR is host:port or a unix socket path (such as DATA/9p.sock). PATH is relative to the
attach root named by --aname. 'write' sends DATA, or standard input when DATA is absent, then
reads the same fid back and prints what it says: for the ctl file, that is the command's reply.
A ctl command that fails fails the write: the exit status is 1 (2 for a usage mistake) and
its message goes to standard error.`,
  options: {
    aname: { type: 'string', arg: 'A', help: "attach name: ctl, env/NAME/TOKEN, env/NAME (default ctl)" },
    uname: { type: 'string', arg: 'U', help: 'user name to attach as (default: your login name)' },
  },
  run,
};

export const ninepCommands: Command[] = [ninep];

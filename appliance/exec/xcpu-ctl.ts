// The xcpu tree's ctl language, as pure functions: text written to N/ctl (or to the clone
// fid) becomes a list of commands; an exit status becomes the text N/wait returns. Kept
// apart from the session so the grammar is tested as data.
//
// One command per line; blank lines are skipped. Words split on blanks and tabs; a word
// may be quoted with single quotes, a quote inside written twice, as Plan 9's tokenize:
//   exec sh -c 'echo it''s here'   →  argv ['sh', '-c', "echo it's here"]
//   env NAME=VALUE                 (before exec; VALUE may be quoted)
//   cwd PATH                       (before exec)
//   exec PROG [ARG…]               (once)
//   kill [SIG]                     (SIG: KILL, SIGKILL, kill or a number; default SIGKILL)
//   eof                            (closes the process's stdin)
import { constants } from 'node:os';
import { invalid } from '../errors.js';
import type { ExitStatus } from './types.js';

export type XcpuCommand =
  | { verb: 'exec'; argv: string[] }
  | { verb: 'env'; name: string; value: string }
  | { verb: 'cwd'; path: string }
  | { verb: 'kill'; signal: NodeJS.Signals }
  | { verb: 'eof' };

/** Bounds on what one ctl write may carry (a write is at most one msize anyway). */
export const MAX_ARGS = 4096;
export const MAX_ENV = 256;

/** Splits a line into words: blanks separate, '…' quotes, '' inside quotes is one quote. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch !== "'") word += ch;
      else if (line[i + 1] === "'") { word += "'"; i++; }
      else quoted = false;
    } else if (ch === ' ' || ch === '\t' || ch === '\r') {
      if (word !== undefined) { words.push(word); word = undefined; }
    } else if (ch === "'") {
      quoted = true;
      word ??= '';
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quoted) throw invalid('unterminated quote in ctl command');
  if (word !== undefined) words.push(word);
  return words;
}

/** Quotes a word so tokenize gives it back (for the state text). */
export function quote(word: string): string {
  return word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "''")}'`;
}

/** SIGKILL from 'KILL', 'SIGKILL', 'kill' or '9'; undefined gives `dflt`. */
export function parseSignal(text: string | undefined, dflt: NodeJS.Signals = 'SIGKILL'): NodeJS.Signals {
  if (text === undefined) return dflt;
  const signals = constants.signals as Record<string, number>;
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    const name = Object.keys(signals).find((k) => signals[k] === n);
    if (name) return name as NodeJS.Signals;
  } else {
    const up = text.toUpperCase();
    const name = up.startsWith('SIG') ? up : `SIG${up}`;
    if (name in signals) return name as NodeJS.Signals;
  }
  throw invalid(`unknown signal ${JSON.stringify(text)}`);
}

/** Every command in one ctl write, in order; throws COLONY_INVALID for the first bad one. */
export function parseCtl(text: string): XcpuCommand[] {
  const out: XcpuCommand[] = [];
  for (const line of text.split('\n')) {
    const words = tokenize(line);
    if (words.length === 0) continue;
    const [verb, ...args] = words as [string, ...string[]];
    switch (verb) {
      case 'exec':
        if (args.length === 0) throw invalid('exec needs a program');
        if (args.length > MAX_ARGS) throw invalid(`exec takes at most ${MAX_ARGS} arguments`);
        if (args.some((a) => a.includes('\0'))) throw invalid('an argument holds a NUL byte');
        out.push({ verb: 'exec', argv: args });
        break;
      case 'env': {
        const eq = args[0]?.indexOf('=') ?? -1;
        if (args.length !== 1 || eq <= 0) throw invalid('env takes one NAME=VALUE');
        const name = args[0]!.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(`bad environment variable name ${JSON.stringify(name)}`);
        if (args[0]!.includes('\0')) throw invalid('an environment value holds a NUL byte');
        out.push({ verb: 'env', name, value: args[0]!.slice(eq + 1) });
        break;
      }
      case 'cwd':
        if (args.length !== 1 || args[0] === '' || args[0]!.includes('\0')) throw invalid('cwd takes one path');
        out.push({ verb: 'cwd', path: args[0]! });
        break;
      case 'kill':
        if (args.length > 1) throw invalid('kill takes at most a signal');
        out.push({ verb: 'kill', signal: parseSignal(args[0]) });
        break;
      case 'eof':
        if (args.length) throw invalid('eof takes no argument');
        out.push({ verb: 'eof' });
        break;
      default:
        throw invalid(`unknown ctl command ${JSON.stringify(verb)}`);
    }
  }
  return out;
}

/** What N/wait reads: "0\n", "3\n", or "137 SIGKILL\n" (the shell's status, then the signal). */
export function formatExit(st: ExitStatus): string {
  return st.signal ? `${st.status} ${st.signal}\n` : `${st.status}\n`;
}

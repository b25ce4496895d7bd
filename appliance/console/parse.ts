// The grid command language (the seed's gridorc), parsed: one line in, one command out.
// Pure: no grid, no streams. Words are separated by blanks; `#` starts a comment line.
import { usage } from '../errors.js';

export type ConsoleCommand =
  | { verb: 'none' }
  | { verb: 'scores'; filter?: string }
  | { verb: 'spawn'; cache: 'ram' | 'disk'; name: string; as?: string }
  | { verb: 'save'; env: string; name: string }
  | { verb: 'invite'; user: string; env: string }
  | { verb: 'boom'; env: string; reason?: string }
  | { verb: 'status' }
  | { verb: 'help'; topic?: string }
  | { verb: 'exit' };

export interface VerbHelp { syntax: string; text: string }

/** The verbs, in the order `help` lists them. */
export const VERBS: Record<string, VerbHelp> = {
  scores: { syntax: 'scores [FILTER]', text: 'list the snapshot names you can see, newest first (FILTER: a substring, or a glob with * and ?)' },
  spawn: { syntax: 'spawn NAME [as ENV]', text: 'start an environment from NAME with a ram cache (gone at restart); ENV defaults to NAME' },
  spawndisk: { syntax: 'spawndisk NAME [as ENV]', text: 'start an environment from NAME with a disk cache (survives a restart)' },
  save: { syntax: 'save ENV NEWNAME', text: 'save environment ENV as the new immutable name NEWNAME; ENV keeps running on it' },
  savedisk: { syntax: 'savedisk ENV NEWNAME', text: 'the same as save' },
  invite: { syntax: 'invite USER ENV', text: "add USER to ENV's users and save a snapshot that only USER sees" },
  boom: { syntax: 'boom ENV [--reason TEXT]', text: "stop ENV and free its cache; unsaved changes are lost (the snapshot stays). An admin booms another user's ENV with --reason, which its owner is shown" },
  status: { syntax: 'status', text: 'your running environments: base, cache, dirty bytes, clients, uptime, how to mount' },
  help: { syntax: 'help [VERB]', text: 'this list, or one verb' },
  exit: { syntax: 'exit', text: 'leave the console (quit works too)' },
};

const bad = (verb: string) => usage(`usage: ${VERBS[verb]?.syntax ?? verb}`);

/** Parses one line; COLONY_USAGE with the verb's syntax when the words do not fit. */
export function parse(line: string): ConsoleCommand {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [verb, ...args] = words;
  if (verb === undefined || verb.startsWith('#')) return { verb: 'none' };
  const n = args.length;
  switch (verb) {
    case 'scores':
      if (n > 1) throw bad(verb);
      return n === 1 ? { verb, filter: args[0]! } : { verb };
    case 'spawn':
    case 'spawndisk': {
      const cache = verb === 'spawn' ? 'ram' : 'disk';
      if (n === 1) return { verb: 'spawn', cache, name: args[0]! };
      if (n === 3 && args[1] === 'as') return { verb: 'spawn', cache, name: args[0]!, as: args[2]! };
      throw bad(verb);
    }
    case 'save':
    case 'savedisk':
      if (n !== 2) throw bad(verb);
      return { verb: 'save', env: args[0]!, name: args[1]! };
    case 'invite':
      if (n !== 2) throw bad(verb);
      return { verb, user: args[0]!, env: args[1]! };
    case 'boom': {
      if (n === 1) return { verb, env: args[0]! };
      // The reason is the rest of the line as written: `boom ENV --reason TEXT …`.
      const m = /^\s*boom\s+\S+\s+--reason\s+(\S.*)$/.exec(line);
      if (n >= 3 && args[1] === '--reason' && m) return { verb, env: args[0]!, reason: m[1]!.trim() };
      throw bad(verb);
    }
    case 'status':
      if (n !== 0) throw bad(verb);
      return { verb };
    case 'help':
    case '?':
      if (n > 1) throw bad('help');
      return n === 1 ? { verb: 'help', topic: args[0]! } : { verb: 'help' };
    case 'exit':
    case 'quit':
      if (n !== 0) throw bad('exit');
      return { verb: 'exit' };
    default:
      throw usage(`unknown command '${verb}' (type help for the list)`);
  }
}

export function helpText(topic?: string): string {
  if (topic !== undefined) {
    const h = VERBS[topic];
    if (!h) throw usage(`no help for '${topic}' (type help for the list)`);
    return `${h.syntax}\n  ${h.text}`;
  }
  const width = Math.max(...Object.values(VERBS).map((h) => h.syntax.length));
  return ['commands:', ...Object.values(VERBS).map((h) => `  ${h.syntax.padEnd(width)}  ${h.text}`)].join('\n');
}

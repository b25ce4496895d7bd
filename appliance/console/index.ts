// The console's public surface: the grid command language, parsed and interpreted.
export { parse, helpText, VERBS, type ConsoleCommand, type VerbHelp } from './parse.js';
export { run, execute, type ConsoleReply, type GridVerbs } from './interpreter.js';
export { Session, type SessionOptions } from './session.js';

// The console's public surface: one command registry and the adapters' shared pieces.
export { parse, helpText, VERBS, type ConsoleCommand, type VerbHelp } from './parse.js';
export { run, execute, type ExecuteHints } from './interpreter.js';
export { runLine, findVerb, loginAccount, removedReply, REGISTRY, type Verb } from './registry.js';
export { parseCpu, cpuHelp, cpuCommandLine, cpuSpawnLine, CPU_SYNTAX, type CpuRunner, type CpuProcess, type CpuRequest, type CpuExit, type CpuTty, type CpuCommand } from './cpu.js';
export { parseTransfer, transferCommandLine, transferHelp, IMPORT_SYNTAX, EXPORT_SYNTAX, type SnapshotTransfer, type TransferCommand } from './transfer.js';
export { spawnText, mountHost } from './format.js';
export { failureReply, renderReply, replyJson, splitJsonFlag, type ConsoleReply } from './reply.js';
export type { Accounts, ConsoleContext, GridVerbs, Interpreter, NodeInfo, BoardInfo, GcRunner, GcReport, UsageReport } from './context.js';
export { gcText, usageText, parseForget, RECLAIM_VERBS } from './reclaim-verbs.js';
export { Session, type SessionOptions, type SessionEnd } from './session.js';

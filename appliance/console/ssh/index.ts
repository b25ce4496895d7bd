// The SSH console's public surface.
export { SshConsole, parseListenAddress, DEFAULT_ADDRESS, DEFAULT_BANNER, type SshConsoleOptions, type ListenAddress } from './server.js';
export { gridInterpreter } from './grid-interpreter.js';
export { dispatch, renderReply, splitJsonFlag, type Interpreter, type ConsoleReply, type Accounts, type NodeInfo, type CommandContext } from './commands.js';
export { decide, verifySignature, type AuthRequest, type AuthDecision } from './auth.js';
export { FailureLimiter, LIMITER_DEFAULTS, delayFor, type LimiterOptions } from './rate-limit.js';
export { LineEditor, readEscape, type EditResult, type FeedResult } from './line-editor.js';
export { loadOrCreateHostKey, fingerprintOf, encodeOpenSshEd25519, type HostKey } from './host-key.js';
export { PROMPT } from './session.js';

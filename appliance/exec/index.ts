// The exec subsystem's public surface: processes inside running environments (issue 15).
export type { ExecService, ExecProcess, ExecRequest, ExecTty, ExitStatus, ProcessInfo } from './types.js';
export { openExecutor, Executor, type ExecutorOptions } from './executor.js';
export type { Limits } from './cgroup.js';
export type { CacheMode, EnvFs } from './mounts.js';
export { dirFs } from './mounts.js';
export { planAvailability, type ExecFacts } from './probe.js';

// ---- xcpu tree and proc tree (added by the helper writing xcpu*.ts / proc*.ts) ----

// The exec subsystem's public surface: processes inside running environments (issue 15).
export type { ExecService, ExecProcess, ExecRequest, ExecTty, ExitStatus, ProcessInfo } from './types.js';
export { openExecutor, Executor, type ExecutorOptions } from './executor.js';
export type { Limits } from './cgroup.js';
export type { CacheMode, EnvFs } from './mounts.js';
export { dirFs } from './mounts.js';
export { planAvailability, type ExecFacts } from './probe.js';

// ---- xcpu tree and proc tree (added by the helper writing xcpu*.ts / proc*.ts) ----
export { xcpuTree, XcpuTree, SessionBudget, DEFAULT_MAX_SESSIONS, DEFAULT_LINGER_MS, type XcpuOptions } from './xcpu.js';
export { parseCtl as parseXcpuCtl, formatExit, type XcpuCommand } from './xcpu-ctl.js';
export { procTree, ProcTree, localProcSource, statusText, cmdlineBytes, DEFAULT_MAX_AGE_MS, type ProcSource, type ProcTreeOptions } from './proc-tree.js';

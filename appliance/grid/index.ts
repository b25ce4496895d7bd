// The environments layer's public surface: spawn, save, invite, boom, status and scores.
export { STOPPING_MS } from './boom.js';
export { Grid, type GridOptions, type SpawnOptions, type SpawnResult, type BoomResult, type BoomOptions, type InviteResult } from './grid.js';
export { checkReason, noticeText, pruneNotices, NOTICE_MS, NOTICES_PER_USER, REASON_MAX, type BoomNotice } from './notices.js';
export { Environment, anameOf, parseAname, mountLine, newToken, type EnvironmentInfo, type BaseName } from './environment.js';
export { DEFAULT_LIMITS, resolveLimits, checkSpawn, planHeap, heapRefusal, heapOf, planDiskRoom, diskRoomRefusal, type HeapPlan, type DiskRoomPlan, checkOwner, checkEnvName, isEnvName, freeSuffix, alreadyRunning, visibleTo, type GridLimits, type CacheKind, type RunningSummary } from './policy.js';
export { planAccount, SYS_GROUPS, type AccountPlan } from './accounts.js';
export { EnvRecords, parseRecord, type EnvRecord } from './records.js';
export { NameCompleteness, nameVisibility, closureProgress, pendingText, type NameView, type PendingName, type Progress, type NameCompletenessOptions, type Fetcher, type WholeResult } from './name-visibility.js';
export { heldByEnvironments, type GridHold } from './held.js';

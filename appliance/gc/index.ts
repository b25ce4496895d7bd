// Reclaiming space: mark what is held, plan which sealed arenas to rewrite or delete, run
// the plan through the store; and the bytes each user holds.
export { ScoreSet } from './score-set.js';
export { markLive, type HeldSet, type HeldTree, type MarkOptions, type MarkProgress, type MarkResult } from './mark.js';
export { planCollection, PLAN_DEFAULTS, type ArenaUsage, type ArenaLive, type PlanOptions, type GcPlan, type PlannedRewrite } from './plan.js';
export { collectGarbage, type CollectOptions, type CollectableStore, type CollectionHandle, type CompactResult, type GcReport, type GcProgress } from './collect.js';
export { usageByUser, usageReport, usageFor, usageInputs, USAGE_NOTE, type UserBytes, type UserUsage, type UsageReport } from './usage.js';
export { WriteHolds, heldNow } from './holds.js';

// The block store's public surface.
export type { BlockSource } from './block-source.js';
export { MemoryBlockSource, type MemoryBlockSourceOptions } from './memory.js';
export { BlockStore, STORE_DEFAULTS, type StoreOptions, type StoreStats, type StoredBlock, type AppendEvent, type AppendListener } from './store.js';
export type { ArenaUsage, Collection, IndexEntry } from './collect.js';
export { COMPACT_DEFAULT_RATE, type CompactOptions, type CompactResult } from './compact.js';
export type { PunchOptions, PunchResult } from './punch.js';
export type { ReserveStats } from './reserve.js';
export { LOG_PAGE_DEFAULT, LOG_PAGE_MAX, type LogEntry, type LogPage } from './log.js';
export { formatScore, parseScore, isScoreText, SCORE_BYTES, type Score } from './score.js';
export { loadHash, type HashBackend } from './hash.js';
export { MAX_BLOCK_TYPE, ARENA_STRIDE, arenaOf, offsetOf } from './record.js';
export type { VerifyReport, VerifyProgress } from './verify.js';
export { BlockCache, type CachedBlock } from './cache.js';

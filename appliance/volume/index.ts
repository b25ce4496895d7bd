// The volume subsystem's public surface: lazy copy-on-write filesystems over snapshot roots.
export { Volume, ROOT_INO, NAME_MAX, dtypeOf, type VolumeOptions, type VolumeAttr, type VolumeDirEntry, type VolumeStats } from './volume.js';
export { ROOT as ROOT_CRED, allowed, type Cred } from './access.js';
export { Accounts, parseAccounts, credOf } from './accounts.js';
export type { SetAttrs, NodeSpec } from './namespace.js';
export type { SaveOptions } from './save.js';
export { kindOfMode, typeBits, S_IFMT, DIR_DEPTH_MAX, INODE_META_BYTES } from './inode.js';
export { DiskTier, type DiskTierOptions, type DiskTierStats } from './disk-tier.js';
export type { VolumeHold, HeldTree } from './held.js';

// The data disk: what is attached (list), and provisioning or growing the data partition.
export { classifyDisks, kindOf, LSBLK_COLUMNS, parseLsblk, withBlkid, parseBlkidExport, type BlockDevice, type DiskInfo, type DiskKind, type LsblkJson, type PartitionInfo, type SysFacts } from './lsblk.js';
export { DATA_LABEL, DEFAULT_COMMIT_SECONDS, MIN_DISK_BYTES, STEP_KINDS, dataPartition, findDataDisk, mountUnitName, partitionPath, planProvision, type Plan, type ProvisionFacts, type ProvisionOptions, type Step, type StepKind } from './plan.js';
export { growDataDisk, listDisks, planDisk, provision, readBlockDevices, type ProvisionRun } from './linux.js';

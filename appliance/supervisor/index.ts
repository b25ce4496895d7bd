export { Supervisor, type SupervisorOptions, type HealthState } from './supervisor.js';
export { readHealth, judgeHealth, healthPath, type HealthFile, type HealthReport } from './health.js';
export { FIRST_ADMIN_FILE } from './first-boot.js';

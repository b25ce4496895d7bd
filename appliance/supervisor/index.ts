export { Supervisor, type SupervisorOptions, type HealthState } from './supervisor.js';

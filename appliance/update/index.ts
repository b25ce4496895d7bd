// A/B updates of the appliance image through RAUC: status, install, reboot.
export { PI_BACKEND, RAUC_CONF, checkUpdatable, formatStatus, installFailure, installUpdate, installedText, parseRaucStatus, rebootNow, updateStatus, type Slot, type UpdateStatus } from './rauc.js';

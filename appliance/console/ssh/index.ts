// The SSH console's public surface.
export { loadOrCreateHostKey, fingerprintOf, type HostKey } from './host-key.js';

// appliance/discovery: LAN discovery by mDNS/DNS-SD (RFC 6762, RFC 6763). See README.md.
export { startDiscovery, type Discovery, type DiscoveryOptions } from './discovery.js';
export { planDials, BrowseCache, type Found, type DialPlan } from './browse.js';
export { defaultName, checkInstanceName, nextName, txtStrings, readColonyTxt, recordsOf, COLONY_TYPE, SSH_TYPE, type Announcement, type Ports } from './records.js';
export { pickInterfaces } from './sockets.js';
export { listenerPorts, reachableFrom } from './wiring.js';

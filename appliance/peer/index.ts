// The peer layer: libp2p wrapped, pairing, membership. Import from here, never from libp2p.
export { startPeerNode, dialAddress, PEER_PORT, DEFAULT_LISTEN, type PeerNode, type PeerNodeOptions, type PeerHandler, type HandleOptions } from './node.js';
export type { PeerStream } from './stream.js';
export { Membership } from './membership.js';
export { pairingCode } from './pairing.js';
export { startBlockReplication, type BlockReplication, type BlockReplicationOptions } from './block-replication.js';
export type { ReceiverStats, ReceiverState } from './block-stats.js';
export { startCatalogReplication, type CatalogReplication, type CatalogReplicationOptions, type ReplicatedCatalog } from './catalog-sync.js';
export { CATALOG_PROTOCOL } from './catalog-protocol.js';
export { PeerBlockSource, FETCH_SOURCE_TIMEOUT_MS, FETCH_MANY_BATCH, type PeerBlockSourceOptions, type FetchStats } from './fetch-source.js';
export { startNamesProtocol, NAMES_PROTOCOL, type NamesProtocol, type NamesProtocolOptions, type NamesStats } from './names-protocol.js';
// The grid's one frame layout and its bounded, timed reader, for every protocol module.
export { encodeFrame, writeFrame, FrameReader, FRAME_PREFIX_BYTES, type Frame, type FrameLimits } from './frames.js';
// `/colony/proc/1`: the global /proc tree's view of every connected member's processes.
export { startProcProtocol, ASK_TIMEOUT_MS as PROC_ASK_TIMEOUT_MS, type ProcProtocol, type ProcProtocolOptions, type ProcProvider, type ProcSource, type ProcStats } from './proc-service.js';
export { PROC_PROTOCOL, MAX_PROCESSES, type ProcInfo } from './proc-protocol.js';

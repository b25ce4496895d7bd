// The node's identity: its long-term Ed25519 key and the node id derived from it.
export { loadOrCreateIdentity, parseKey, KEY_FILE, type Identity } from './key-file.js';
export { peerIdOf, publicKeyOfPeerId } from './peer-id.js';
export { catalogOrigin, NODE_ID_FILE } from './catalog-origin.js';

// The catalog's public surface.
export { Catalog, FIRST_ADMIN, type CatalogOptions, type CatalogStats, type NewUser, type NewName, type FirstAdmin, type ApplyResult, type ForgetResult } from './catalog.js';
export type { NameRecord, UserInfo, UserKeyInfo } from './view.js';
export type { ForgottenRecord } from './forget.js';
export { nameMatcher } from './view.js';
export type { CatalogEvent, EventType, Role, Vector } from './event.js';
export type { StateSnapshot } from './state.js';
export type { Signer } from './signing.js';
export type { Member } from './membership.js';
export { SCRYPT_DEFAULTS, type ScryptParams } from './password.js';
export { parsePublicKey, type PublicKey } from './ssh-key.js';
export { checkName, checkReason, checkUserName, REASON_MAX_CHARS } from './syntax.js';
export { refuseTakenName } from './taken.js';

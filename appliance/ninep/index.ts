// appliance/ninep: 9P2000 and 9P2000.L — codec, server, client, and the backends that
// need no disk (synthetic trees and MemFs). See README.md.
export * from './constants.js';
export type { Message, Msg, Body, AnyBody, MessageName, Qid, Stat } from './messages.js';
export { encode, decode, encodeStat, decodeStats, FrameReader, U64_ALL_ONES } from './codec.js';
export { E, errnoOf, enameOf, errnoFor, enameFor, withErrno, errnoError, errorFromErrno, errorFromEname } from './errno.js';
export type { Backend, Node, Handle, Caller, Attr, SetAttr, DirEntry, StatFs, Time, Transport, AttachRequest, Attachment, AttachRouter } from './backend.js';
export { NinepServer, parseAddress, defaultPort, DEFAULT_PORT_ROOT, DEFAULT_PORT_USER, DEFAULT_MAX_MSIZE, type NinepServerOptions, type Listener, type Address } from './server.js';
export { NinepClient } from './client.js';
export { MemFs, MemInode, type MemFsOptions } from './memfs.js';
export { SynthFs, synthDir, synthFile, type SynthDir, type SynthFile, type SynthEntry } from './synth.js';
export { routeTable, type Route } from './router.js';

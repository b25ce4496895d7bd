// One libp2p node: TCP, Noise, yamux, identify, ping, keyed by the node's Ed25519 key so
// its libp2p peer id is appliance/identity's node id. Nothing else in Colony imports
// libp2p: it gets this small PeerNode and PeerStream (stream.ts) instead.
//
// Trust: the connection gater asks `isMember` about the remote peer id right after the
// Noise handshake (the first moment the id is proven) and before the muxer is chosen, so
// no Colony protocol, identify or ping ever runs for an unpaired node. Dials to a
// non-member are refused locally before a socket is opened.
//
// Concurrency: handlers run concurrently, one call per inbound stream (bounded by
// maxInboundStreams per connection); dial/newStream may be called concurrently (libp2p
// shares one connection per peer). enforceMembership() closes what a membership change
// made illegal; stop() closes listeners and connections, and is idempotent.
import './polyfill.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { identify } from '@libp2p/identify';
import type { ComponentLogger, Connection, Logger, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { readFile } from 'node:fs/promises';
import { ColonyError, isColonyError, permission } from '../errors.js';
import { parseKey, publicKeyOfPeerId, type Identity } from '../identity/index.js';
import type { Log } from '../log.js';
import { wrapStream, type PeerStream } from './stream.js';

export const PEER_PORT = 17034;
export const DEFAULT_LISTEN = [`/ip4/0.0.0.0/tcp/${PEER_PORT}`];

export interface PeerNodeOptions {
  identity: Pick<Identity, 'nodeId' | 'path'>;
  /** Multiaddrs to listen on; `/ip4/127.0.0.1/tcp/0` picks a free port (tests). */
  listen?: string[];
  /** Asked on every connection and dial; must be cheap and synchronous. */
  isMember(peerId: string): boolean;
  log: Log;
}

export interface HandleOptions {
  /** Concurrent inbound streams of this protocol per connection (libp2p's default is 32). */
  maxInboundStreams?: number;
  maxOutboundStreams?: number;
}

/** The most a stream's remote may send ahead of our reading (yamux's default is 16 MiB). */
export const YAMUX_MAX_WINDOW = 2 << 20;

export type PeerHandler = (stream: PeerStream) => void | Promise<void>;

export interface PeerNode {
  readonly peerId: string;
  /** The addresses we listen on, each ending in /p2p/<peerId> (what a peer dials). */
  addresses(): string[];
  /** Peer ids with at least one open connection. */
  connectedPeers(): string[];
  /** Connects to a member at one of `addrs` (multiaddrs, with or without /p2p/<peerId>) and
   *  checks that it admitted us with one ping; a refusal is COLONY_PERMISSION. */
  dial(peerId: string, addrs: string[], options?: { signal?: AbortSignal }): Promise<{ rttMs: number }>;
  handle(protocol: string, handler: PeerHandler, options?: HandleOptions): Promise<void>;
  /** A stream on an open connection to `peerId`, or on a new one from known addresses. */
  newStream(peerId: string, protocol: string, options?: { signal?: AbortSignal }): Promise<PeerStream>;
  /** Closes connections to peers that are no longer members; the number of peers hung up. */
  enforceMembership(): Promise<number>;
  stop(): Promise<void>;
}

/** The libp2p private key for the node's Ed25519 key file (the PKCS#8 PEM that identity wrote). */
async function libp2pKey(path: string) {
  const key = parseKey(await readFile(path, 'utf8'), path);
  const seed = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
  return generateKeyPairFromSeed('Ed25519', seed);
}

/** Normalises `addr` to end in /p2p/<peerId>; an address naming another peer is COLONY_INVALID. */
export function dialAddress(addr: string, peerId: string): string {
  const at = addr.indexOf('/p2p/');
  if (at < 0) return `${addr}/p2p/${peerId}`;
  if (addr.slice(at + 5) !== peerId) throw new ColonyError('COLONY_INVALID', `the address ${addr} names another peer than ${peerId}`);
  return addr;
}

/**
 * libp2p's own debug logger, unless $DEBUG asks for it: the default makes three `debug`
 * instances (each asking whether standard error is a terminal: four syscalls) for every
 * stream and connection, so the pings between idle members cost wakeups and garbage for
 * lines nobody reads. Colony's own log says what matters (connected, refused, failed).
 */
export function libp2pLogger(env: NodeJS.ProcessEnv = process.env): ComponentLogger | undefined {
  if (env.DEBUG) return undefined; // libp2p's default: DEBUG=libp2p:* still works
  const silent = Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {} }) as unknown as Logger;
  silent.newScope = () => silent;
  return { forComponent: () => silent };
}

function peerError(err: unknown, doing: string): ColonyError {
  if (isColonyError(err)) return err;
  const e = err as Error;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return new ColonyError('COLONY_TIMEOUT', `${doing}: ${e.message}`, { cause: err });
  return new ColonyError('COLONY_IO', `${doing}: ${e?.message ?? String(err)}`, { cause: err });
}

export async function startPeerNode(options: PeerNodeOptions): Promise<PeerNode> {
  const { identity, isMember } = options;
  const log = options.log.child({ subsystem: 'peer' });
  const privateKey = await libp2pKey(identity.path);
  // Counts refusals for the log only; the gater's answer is what protects.
  const member = (peerId: PeerId, where: string): boolean => {
    const ok = isMember(peerId.toString());
    if (!ok) log.info({ peer: peerId.toString(), where }, 'refused an unpaired peer');
    return ok;
  };
  const logger = libp2pLogger();
  const node = await createLibp2p({
    privateKey,
    ...(logger ? { logger } : {}),
    addresses: { listen: options.listen ?? DEFAULT_LISTEN },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // A stream's receive window is capped so a paused reader (stream.ts) holds at most this
    // much in libp2p's read buffer (under its 4 MiB limit); it bounds a stream's throughput
    // to window / round trip (2 MiB at 50 ms: 40 MB/s), far above the LAN's need.
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: YAMUX_MAX_WINDOW } })],
    services: { identify: identify(), ping: ping() },
    connectionGater: {
      denyDialPeer: (peerId) => !member(peerId, 'dial'),
      denyInboundEncryptedConnection: (peerId) => !member(peerId, 'inbound'),
      denyOutboundEncryptedConnection: (peerId) => !member(peerId, 'outbound'),
    },
  });
  const peerId = node.peerId.toString();
  if (peerId !== identity.nodeId) {
    await node.stop();
    throw new ColonyError('COLONY_INTERNAL', `the libp2p peer id ${peerId} is not the node id ${identity.nodeId}`);
  }
  log.info({ peerId, addresses: node.getMultiaddrs().map(String) }, 'peer node listening');
  let stopped = false;

  const requireMember = (id: string) => {
    publicKeyOfPeerId(id); // COLONY_INVALID for a malformed id, before libp2p sees it
    if (!isMember(id)) throw permission(`${id} is not paired with this node`);
  };

  return {
    peerId,
    addresses: () => node.getMultiaddrs().map(String),
    connectedPeers: () => [...new Set(node.getConnections().map((c) => c.remotePeer.toString()))].sort(),

    async dial(id, addrs, opts) {
      requireMember(id);
      if (addrs.length === 0) throw new ColonyError('COLONY_INVALID', `no address to dial ${id} at`);
      const targets = addrs.map((a) => multiaddr(dialAddress(a, id)));
      let conn: Connection;
      try {
        conn = await node.dial(targets, { signal: opts?.signal });
      } catch (err) {
        throw peerError(err, `dialling ${id}`);
      }
      // With Noise XX the dialer finishes its handshake before the listener has seen the
      // dialer's id, so a refusing listener is noticed only when it hangs up. One ping
      // round trip proves the listener admitted us (and measures the link).
      try {
        return { rttMs: await node.services.ping.ping(conn.remotePeer, { signal: opts?.signal }) };
      } catch (err) {
        throw new ColonyError('COLONY_PERMISSION', `${id} did not accept the connection (is this node paired on its side?)`, { cause: err });
      }
    },

    async handle(protocol, handler, opts) {
      await node.handle(protocol, async (stream: Stream, connection: Connection) => {
        const remote = connection.remotePeer.toString();
        // The gater admitted this connection; a pairing removed since then is caught here
        // too, in case enforceMembership() has not run yet.
        if (!isMember(remote)) {
          stream.abort(permission(`${remote} is not paired with this node`));
          return;
        }
        try {
          await handler(wrapStream(stream, remote));
        } catch (err) {
          log.warn({ peer: remote, protocol, err: (err as Error).message }, 'a peer protocol handler failed');
          stream.abort(err as Error);
        }
      }, { maxInboundStreams: opts?.maxInboundStreams, maxOutboundStreams: opts?.maxOutboundStreams });
    },

    async newStream(id, protocol, opts) {
      requireMember(id);
      try {
        const stream = await node.dialProtocol(peerIdFromString(id), protocol, { signal: opts?.signal });
        return wrapStream(stream, id);
      } catch (err) {
        throw peerError(err, `opening ${protocol} to ${id}`);
      }
    },

    async enforceMembership() {
      const gone = new Set<string>();
      for (const c of node.getConnections()) {
        const id = c.remotePeer.toString();
        if (!isMember(id)) gone.add(id);
      }
      for (const id of gone) {
        log.info({ peer: id }, 'closing the connections of an unpaired peer');
        await node.hangUp(peerIdFromString(id)).catch((err) => log.warn({ peer: id, err: (err as Error).message }, 'hang up failed'));
      }
      return gone.size;
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      await node.stop();
      log.info({ peerId }, 'peer node stopped');
    },
  };
}

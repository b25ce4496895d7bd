// The admin verbs of the grid's membership: `peers`, `pair NODE-ID [ADDRESS]`, `unpair
// NODE-ID`. They act through ctx.node.peers (the supervisor's peer service): the pairing
// record goes into the catalog, which replicates it, and the gater follows the catalog.
import { invalid, unsupported, usage } from '../errors.js';
import { publicKeyOfPeerId } from '../identity/index.js';
import type { ConsoleContext, PeerControl, PeerRow, PeerSync } from './context.js';
import { bytes } from './format.js';
import type { ConsoleReply } from './reply.js';

export const PEER_VERBS = {
  peers: {
    syntax: 'peers',
    text: 'the paired nodes (id, address, state, last seen; block sync state, lag and transfer rate) and unpaired ones that tried to connect (admin)',
  },
  pair: {
    syntax: 'pair NODE-ID [ADDRESS]',
    text: 'admit a node to the grid; ADDRESS is host:port or a multiaddr. Compare the code it prints with the one its admin sees (admin)',
  },
  unpair: {
    syntax: 'unpair NODE-ID',
    text: 'remove a node from the grid; its connections close (admin)',
  },
} as const;

type PeerVerb = keyof typeof PEER_VERBS;

/** `VERB --help` answers like `help VERB`. */
function helpReply(verb: PeerVerb): ConsoleReply {
  return { output: `${PEER_VERBS[verb].syntax}\n  ${PEER_VERBS[verb].text}` };
}

function peersOf(ctx: ConsoleContext): PeerControl {
  const p = ctx.node?.peers;
  if (!p) throw unsupported('the peer network is not running here (peer.listen is [] or this is not the supervisor)');
  return p;
}

function checkNodeId(id: string): string {
  try { publicKeyOfPeerId(id); } catch { throw invalid(`'${id}' is not a node id (12D3KooW…, as 'node' prints it on the other appliance)`); }
  return id;
}

const ago = (iso: string | undefined, now: number): string => {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
};

/** SYNC, LAG and RATE cells of a peer's block replication ('-' when none runs). */
export function syncCells(s: PeerSync | undefined): [string, string, string] {
  if (!s) return ['-', '-', '-'];
  const state = s.state === 'syncing' && s.percent !== undefined ? `syncing ${s.percent}%` : s.state;
  const blocks = s.lagBlocks === undefined ? '' : ` / ${s.lagBlocksExact === false ? '~' : ''}${s.lagBlocks} blocks`;
  const lag = s.lagBytes === undefined ? '?' : s.lagBytes === 0 ? '0' : `${bytes(s.lagBytes)}${blocks}`;
  return [state, lag, s.rateBytesPerSec > 0 ? `${bytes(s.rateBytesPerSec)}/s` : '-'];
}

/**
 * The table `peers` prints: one line a node, paired ones first. The SYNC, LAG and RATE
 * columns appear when a block receiver runs for any of them (not in lazy mode).
 */
export function peersTable(rows: PeerRow[], now: number): string {
  if (rows.length === 0) return 'no peers (pair NODE-ID [ADDRESS] admits one)';
  const withSync = rows.some((r) => r.sync);
  const lines = rows.map((r) => [r.id, r.addresses[0] ?? '-', r.paired ? r.state : r.state === 'seen' ? `seen on the LAN as '${r.name ?? '?'}' (not paired)` : 'refused (not paired)', ago(r.lastSeen, now), ...(withSync ? syncCells(r.sync) : [])]);
  const head = ['NODE', 'ADDRESS', 'STATE', 'LAST SEEN', ...(withSync ? ['SYNC', 'LAG', 'RATE'] : [])];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const table = [head, ...lines].map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
  return rows.some((r) => r.state === 'seen') ? `${table}\nto admit a node seen on the LAN: pair NODE-ID (it is dialled where it announces itself)` : table;
}

export function peers(ctx: ConsoleContext, args: string[]): ConsoleReply {
  if (args[0] === '--help') return helpReply('peers');
  if (args.length) throw usage(`usage: ${PEER_VERBS.peers.syntax}`);
  const rows = peersOf(ctx).list();
  return { output: peersTable(rows, ctx.now?.() ?? Date.now()), json: rows };
}

export async function pair(ctx: ConsoleContext, args: string[]): Promise<ConsoleReply> {
  if (args[0] === '--help') return helpReply('pair');
  if (args.length < 1 || args.length > 2) throw usage(`usage: ${PEER_VERBS.pair.syntax}`);
  const p = peersOf(ctx);
  const id = checkNodeId(args[0]!);
  if (id === p.self) throw invalid(`${id} is this node; pair it with another node`);
  const { code } = await p.pair(id, args[1], ctx.user);
  return {
    output: [
      `paired ${id}`,
      `pairing code: ${code}`,
      `Compare it with the code the other node shows when its admin runs 'pair ${p.self}' there.`,
      `If the codes differ, run 'unpair ${id}' at once: you are not talking to the node you think.`,
    ].join('\n'),
    json: { peer: id, self: p.self, code, ...(args[1] ? { address: args[1] } : {}) },
  };
}

export async function unpair(ctx: ConsoleContext, args: string[]): Promise<ConsoleReply> {
  if (args[0] === '--help') return helpReply('unpair');
  if (args.length !== 1) throw usage(`usage: ${PEER_VERBS.unpair.syntax}`);
  const p = peersOf(ctx);
  const id = checkNodeId(args[0]!);
  await p.unpair(id, ctx.user);
  return { output: `unpaired ${id}; its connections are closed`, json: { peer: id, unpaired: true } };
}

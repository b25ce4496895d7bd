// What each viewer may see of a NodeStatus (pure). /api/status is this value as JSON and the
// page is rendered from it, so the two can never disagree about what is hidden. Anonymous
// visitors get counts (environments per user without the users' names, peers by state);
// a logged-in user also sees their own environments; an admin sees every environment with
// its owner, and the peers. No viewer gets a token or a mount line: NodeStatus has none.
import type { EnvironmentRow, NodeStatus, PeerRowStatus, Viewer } from './types.js';

export interface StatusView {
  at: string;
  viewer: { kind: Viewer['kind']; name?: string };
  node: NodeStatus['node'];
  health: NodeStatus['health'];
  board: NodeStatus['board'];
  store: { blocks: number; bytes: number; diskBytes: number; refusing: boolean } | null;
  gc: NodeStatus['gc'];
  environments: {
    total: number;
    /** How many each user runs, largest first, without names. */
    perUser: number[];
    /** Owner → count: admins only. */
    byOwner?: Record<string, number>;
    /** The rows this viewer may see: every one for an admin, their own for a user. */
    list?: EnvironmentRow[];
  };
  peers: { total: number; byState: Record<string, number>; list?: PeerRowStatus[] } | null;
  events: Array<{ at: string; kind: string; text: string }>;
}

function countBy<T>(rows: T[], key: (r: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
}

export function viewOf(s: NodeStatus, viewer: Viewer): StatusView {
  const admin = viewer.kind === 'admin';
  const owners = countBy(s.environments, (e) => e.owner);
  const mine = viewer.kind === 'anonymous' ? [] : s.environments.filter((e) => admin || e.owner === viewer.name);
  return {
    at: s.at,
    viewer: viewer.kind === 'anonymous' ? { kind: 'anonymous' } : { kind: viewer.kind, name: viewer.name },
    node: s.node,
    health: s.health,
    board: s.board,
    store: s.store ? { blocks: s.store.blocks, bytes: s.store.bytes, diskBytes: s.store.diskBytes, refusing: s.store.refusing } : null,
    gc: s.gc,
    environments: {
      total: s.environments.length,
      perUser: Object.values(owners).sort((a, b) => b - a),
      ...(admin ? { byOwner: owners } : {}),
      ...(viewer.kind === 'anonymous' ? {} : { list: mine.map((e) => ({ ...e })) }),
    },
    peers: s.peers === null ? null : {
      total: s.peers.length,
      byState: countBy(s.peers, (p) => p.state),
      ...(admin ? { list: s.peers.map((p) => ({ ...p })) } : {}),
    },
    events: s.events.map((e) => ({ at: e.at, kind: e.kind, text: admin ? e.text : e.anonymous })),
  };
}

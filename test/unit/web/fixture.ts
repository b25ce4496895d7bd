// A NodeStatus as the supervisor builds it, with names that must never reach an anonymous
// visitor (an owner, environment names, peer ids), for the render and view tests.
import type { NodeStatus } from '../../../appliance/web/index.js';

export const SECRET_WORDS = ['alice', 'bob', 'dev-secret-env', 'bobs-box', '12D3KooWPeerOne', '12D3KooWPeerTwo'];

export function fixtureStatus(over: Partial<NodeStatus> = {}): NodeStatus {
  return {
    at: '2026-12-07T13:00:00.000Z',
    node: { id: '12D3KooWSelfNodeId', name: 'colony-ab12', version: '0.9.0', started: '2026-12-06T12:00:00.000Z', uptimeSeconds: 90_000 },
    health: { state: 'degraded', reasons: ['temperature 83 °C (high at 80)'] },
    board: {
      model: 'Raspberry Pi 4 Model B', temperatureC: 83.2, memory: { totalBytes: 4 * 2 ** 30, availableBytes: 3 * 2 ** 30 }, load: [0.5, 0.25, 0.1],
      disk: { totalBytes: 32 * 2 ** 30, availableBytes: 20 * 2 ** 30 }, reserveBytes: 2 ** 30, leds: { condition: 'degraded', backend: 'sysfs' },
    },
    store: { blocks: 1234, bytes: 80 * 2 ** 20, diskBytes: 81 * 2 ** 20, arenas: 1, cacheHits: 10, cacheMisses: 3, reserveBytes: 256 * 2 ** 20, refusing: false, io: { blocksWritten: 5, bytesWritten: 5000, blocksRead: 9, bytesRead: 9000, corruptReads: 1 } },
    gc: { runs: 2, freedBytes: 3 * 2 ** 30, writtenBytes: 2 ** 30, last: { at: '2026-12-07T13:00:00.000Z', freedBytes: 2 ** 30, seconds: 12.5 } },
    ninep: { connections: 2, fids: 14, refused: 0, dropped: 1, requests: { Tread: 40, Twalk: 7 }, errors: { Twalk: 2 } },
    environments: [
      { name: 'dev-secret-env', owner: 'alice', kind: 'ram', clients: 1, uptimeSeconds: 60, unsaved: true },
      { name: 'web', owner: 'alice', kind: 'disk', clients: 0, uptimeSeconds: 3600, unsaved: false },
      { name: 'bobs-box', owner: 'bob', kind: 'ram', clients: 0, uptimeSeconds: 5, unsaved: false },
    ],
    peers: [
      { id: '12D3KooWPeerOne', state: 'connected', sync: { state: 'syncing', lagBytes: 4096, lagBlocks: 2, receivedBytes: 8192, receivedBlocks: 3 } },
      { id: '12D3KooWPeerTwo', state: 'unreachable' },
    ],
    counters: { spawns: 3, booms: 0, saves: 1 },
    events: [{ at: '2026-12-07T12:59:00.000Z', kind: 'spawn', text: 'bob spawned bobs-box (ram)', anonymous: 'an environment started' }],
    ...over,
  };
}

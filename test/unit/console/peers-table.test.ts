// `peers` with block replication figures: the SYNC, LAG and RATE columns appear when any row
// has a receiver, a syncing peer shows its percent, an estimated block lag is marked '~',
// and a row without a receiver shows '-'.
import t from 'tap';
import type { PeerRow } from '../../../appliance/console/context.js';
import { peersTable, syncCells } from '../../../appliance/console/peer-verbs.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const base = { paired: true, addresses: ['/ip4/10.0.0.2/tcp/17034'], state: 'connected' as const, lastSeen: '2026-12-06T12:00:00Z' };

t.test('the sync columns, one peer syncing, one idle, one without a receiver', async (t) => {
  const rows: PeerRow[] = [
    { ...base, id: 'A', sync: { state: 'syncing', percent: 42, lagBytes: 3 << 20, lagBlocks: 48, lagBlocksExact: false, rateBytesPerSec: 5 << 20, receivedBlocks: 10, receivedBytes: 1 << 20 } },
    { ...base, id: 'B', sync: { state: 'idle', lagBytes: 0, lagBlocks: 0, lagBlocksExact: true, rateBytesPerSec: 0, receivedBlocks: 0, receivedBytes: 0 } },
    { ...base, id: 'C', state: 'unreachable' },
  ];
  const lines = peersTable(rows, NOW).split('\n');
  t.equal(lines.length, 4);
  t.match(lines[0], /^NODE\s+ADDRESS\s+STATE\s+LAST SEEN\s+SYNC\s+LAG\s+RATE$/);
  t.match(lines[1], /^A\s+\S+\s+connected\s+0s ago\s+syncing 42%\s+3\.0 MiB \/ ~48 blocks\s+5\.0 MiB\/s$/);
  t.match(lines[2], /^B\s+.*\s+idle\s+0\s+-$/);
  t.match(lines[3], /^C\s+.*unreachable\s+0s ago\s+-\s+-\s+-$/);
});

t.test('cells: paused, backoff, an exact lag, an unknown one', async (t) => {
  const s = { rateBytesPerSec: 0, receivedBlocks: 0, receivedBytes: 0 };
  t.same(syncCells({ ...s, state: 'paused: disk full', lagBytes: 2048, lagBlocks: 2, lagBlocksExact: true }), ['paused: disk full', '2.0 KiB / 2 blocks', '-']);
  t.same(syncCells({ ...s, state: 'backoff' }), ['backoff', '?', '-']);
  t.same(syncCells(undefined), ['-', '-', '-']);
});

t.test('without any receiver the table keeps its four columns', async (t) => {
  t.match(peersTable([{ ...base, id: 'A' }], NOW), /^NODE\s+ADDRESS\s+STATE\s+LAST SEEN\nA\s/);
});

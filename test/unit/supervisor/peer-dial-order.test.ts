// Of two paired nodes, the one with the smaller id dials at once and the other one tick
// later, so their dials do not cross and make two connections (issue 20: each connection
// has its own pings and keepalives at idle).
import t from 'tap';
import { peerIdOf } from '../../../appliance/identity/index.js';
import { firstDialAt, TICK_MS } from '../../../appliance/supervisor/peers.js';

const id = (n: number) => peerIdOf(new Uint8Array(32).fill(n));
const NOW = 1_000_000;

t.test('exactly one side of a pair dials at once, the other waits one tick', async (t) => {
  for (const [x, y] of [[1, 2], [7, 3], [200, 9]] as const) {
    const a = id(x), b = id(y);
    const ab = firstDialAt(a, b, NOW), ba = firstDialAt(b, a, NOW);
    t.same([ab, ba].sort(), [NOW, NOW + TICK_MS], `${x} and ${y}`);
    t.equal(a < b ? ab : ba, NOW, 'the smaller id is the one that dials at once');
  }
});

// The peer verbs over SSH: the SSH console hands the supervisor's peer service to them (a
// fake one here), and refuses them to a plain user.
import t from 'tap';
import type { PeerControl } from '../../../appliance/console/context.js';
import { peerIdOf } from '../../../appliance/identity/index.js';
import { pairingCode } from '../../../appliance/peer/index.js';
import { ssh, sshWorld } from '../ssh/helpers.js';

const SELF = peerIdOf(new Uint8Array(32).fill(1));
const OTHER = peerIdOf(new Uint8Array(32).fill(2));

t.test('peers, pair and unpair over SSH', async (t) => {
  const paired: string[] = [];
  const peers: PeerControl = {
    self: SELF,
    list: () => paired.map((id) => ({ id, paired: true, addresses: [], state: 'unreachable' as const })),
    pair: async (id) => { paired.push(id); return { code: pairingCode(SELF, id) }; },
    unpair: async (id) => { paired.splice(paired.indexOf(id), 1); },
  };
  const w = await sshWorld(t, { node: { peers } });
  const refused = await ssh(w, 'alice', ['pair', OTHER]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /'pair' is for admins/);
  const pair = await ssh(w, 'root', ['pair', OTHER, '10.0.0.2:17034']);
  t.equal(pair.code, 0, pair.stderr);
  t.match(pair.stdout, `pairing code: ${pairingCode(OTHER, SELF)}`);
  const list = await ssh(w, 'root', ['peers']);
  t.match(list.stdout, new RegExp(`^${OTHER}\\s+-\\s+unreachable\\s+never$`, 'm'));
  t.equal((await ssh(w, 'root', ['unpair', OTHER])).code, 0);
  t.same(paired, []);
});

// libp2p's debug logger is replaced by a silent one unless $DEBUG asks for libp2p's lines:
// the default builds three `debug` instances (and asks whether stderr is a terminal) for
// every stream, which idle members open for each ping (issue 20).
import t from 'tap';
import { libp2pLogger } from '../../../appliance/peer/node.js';

t.test('silent without DEBUG: every component logs nothing and says it is disabled', async (t) => {
  const logger = libp2pLogger({});
  t.ok(logger, 'a logger replaces the default');
  const log = logger!.forComponent('libp2p:connection-monitor');
  t.equal(log.enabled, false);
  t.doesNotThrow(() => { log('x %s', 1); log.error('e %e', new Error('boom')); log.trace('t'); });
  const scoped = log.newScope('stream');
  t.equal(scoped.enabled, false);
  t.doesNotThrow(() => { scoped('y'); scoped.error('z'); scoped.trace('w'); });
  t.equal(logger!.forComponent('libp2p:tcp'), log, 'one shared logger: nothing is built per stream');
});

t.test('with DEBUG set, libp2p keeps its own logger (DEBUG=libp2p:* still works)', async (t) => {
  t.equal(libp2pLogger({ DEBUG: 'libp2p:*' }), undefined);
});

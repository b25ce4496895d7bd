// The receiver pipelines its block requests: while the sender is stuck on the first block
// of a page, the receiver has already asked for the second batch, and not the third (at
// most two requests in flight). Counted on the receiver's stream, between real nodes.
import t from 'tap';
import { startBlockReplication, type PeerNode, type PeerStream } from '../../../appliance/peer/index.js';
import { allHeld, eventually, fill, pair, site, wrapStore } from './blocks-helpers.js';

/** `node`, whose new streams report every frame header written on them. */
function spying(node: PeerNode, onHeader: (msg: { t: string }) => void): PeerNode {
  const newStream: PeerNode['newStream'] = async (...args) => {
    const s = await node.newStream(...args);
    const wrapped: PeerStream = {
      remotePeer: s.remotePeer, protocol: s.protocol, end: () => s.end(), abort: (e) => s.abort(e),
      [Symbol.asyncIterator]: () => s[Symbol.asyncIterator](),
      write: (chunk) => {
        // Every frame's first write starts with its prefix and header (frames.ts): alone, or
        // with its body when the frame is small.
        const b = Buffer.from(chunk);
        const header = b.length >= 8 ? b.readUInt32BE(0) : -1;
        if (header >= 0 && (b.length === 8 + header || b.length === 8 + header + b.readUInt32BE(4))) onHeader(JSON.parse(b.subarray(8, 8 + header).toString('utf8')));
        return s.write(chunk);
      },
    };
    return wrapped;
  };
  return new Proxy(node, {
    get(target, prop) {
      if (prop === 'newStream') return newStream;
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

t.test('two fetch requests in flight, never three', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const scores = await fill(a.store, 100, 'a');
  const serveStore = wrapStore(a.store);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let calls = 0;
  const getBlock = serveStore.getBlock;
  serveStore.getBlock = async (score) => { if (++calls === 1) await gate; return getBlock(score); };
  const ra = await startBlockReplication({ node: a.node, store: a.store, serveStore, cursorsPath: `${a.data}/peer/cursors.json`, log: a.log, peers: () => [] });
  t.teardown(() => ra.stop());
  let fetches = 0;
  const node = spying(b.node, (m) => { if (m.t === 'fetch') fetches++; });
  const rb = await startBlockReplication({
    node, store: b.store, cursorsPath: `${b.data}/peer/cursors.json`, log: b.log, peers: () => b.node.connectedPeers(),
    receiver: { pollMs: 600_000, pageLimit: 100, maxScores: 10 },
  });
  t.teardown(() => rb.stop());
  t.ok(await eventually(() => fetches === 2), 'the second batch was asked for while the first is unanswered');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(fetches, 2, 'and no third');
  t.equal(rb.stats().receivers[a.node.peerId]!.fetched, 0, 'nothing was received yet');
  release();
  t.ok(await eventually(() => allHeld(b.store, scores)), 'every block arrives');
  t.equal(fetches, 10, 'ten batches of ten, each asked once');
  t.equal(ra.stats().sender.blocksSent, 100);
});

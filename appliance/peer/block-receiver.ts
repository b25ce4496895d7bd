// The receiving side of `/colony/blocks/1`, one per peer: open a session, check the saved
// cursor against the peer's hello (cursorCheck), then page its log, plan (planWants) and
// fetch it batch by batch: after each batch, putVerified, sync, and only then move and
// save the cursor (advanceCursor), so a power loss costs at most the batch being read.
// When caught up, wait for the peer's `head` notice or the poll interval, whichever is
// first. A block that hashes wrong is rejected (nothing of it stored), the session with
// that peer is closed and a warning names the peer and the score. A session that fails for
// any reason (timeout, protocol, the peer left) is retried with backoff until stop().
//
// Concurrency contract:
// - One receiver per peer (startBlockReplication keeps that); a receiver runs one session
//   at a time, and within it one request at a time except `fetch`: at most two of those
//   are in flight (the next asked before the previous one's blocks are read).
// - Blocks are read one batch after the other: batch k+1's blocks are read only once batch
//   k is synced and its cursor saved, so a saved cursor never passes a block that is not
//   durable here, whatever is in flight.
// - Receivers share one in-flight set (score keys requested from any peer and not yet
//   stored): a block two peers list is fetched once (the mesh rule, block-wants.ts). A key
//   is added when planned and removed once the page is done or its request failed.
// - Receivers share one CursorFile; each saves only its own peer's cursor.
// - stop() aborts the open stream (a pending read fails at once), waits for the loop to
//   end, and leaves the store open (it is the caller's). Blocks put but not synced before
//   a stop (or a crash) are not under a saved cursor: the next run re-asks at most the
//   batch that was being read, and hasMany skips what was synced.
// Bounds: a page of `pageLimit` entries, requests of the planner's sizes, one block frame
// in memory at a time, `requestTimeoutMs` for each awaited frame of an answer.
import { ColonyError, isColonyError } from '../errors.js';
import type { Log } from '../log.js';
import { formatScore, type BlockStore } from '../store/index.js';
import type { CursorFile } from './block-cursors.js';
import {
  BLOCK_PROTOCOL, BLOCK_PROTOCOL_VERSION, FrameReader, pageFromWire, protocolError, remoteError, writeFrame, type Frame,
} from './block-protocol.js';
import { ReceiverTracker, type ReceiverStats } from './block-stats.js';
import { advanceCursor, cursorCheck, planWants, scoreKey, settledEntries, type Want } from './block-wants.js';
import type { PeerNode } from './node.js';
import type { PeerStream } from './stream.js';

export type ReceiverStore = Pick<BlockStore, 'hasMany' | 'putVerified' | 'sync'>;

export const RECEIVER_DEFAULTS = {
  pageLimit: 1024,
  /** Each awaited frame of an answer; a silent peer ends the session. */
  requestTimeoutMs: 30_000,
  /** When caught up and no `head` notice came. */
  pollMs: 30_000,
  /** Wait after a page whose blocks another peer is fetching. */
  elsewhereWaitMs: 250,
  backoffMinMs: 1_000,
  backoffMaxMs: 60_000,
  maxScores: undefined as number | undefined,
  maxBytes: undefined as number | undefined,
  /** A sync running longer than this logs its progress (info), at most once per this. */
  progressLogMs: 5_000,
  /** While the disk is full: how often to try again (slow: each try may fetch a batch). */
  diskFullRetryMs: 10_000,
};
export type ReceiverOptions = Partial<typeof RECEIVER_DEFAULTS>;

export type { ReceiverStats, ReceiverState } from './block-stats.js';

export interface BlockReceiver {
  readonly peer: string;
  stats(): ReceiverStats;
  stop(): Promise<void>;
}

interface Deps { node: PeerNode; store: ReceiverStore; cursors: CursorFile; inFlight: Set<string>; log: Log; options?: ReceiverOptions }

/**
 * The store (or the cursor file) ran out of disk: COLONY_NO_SPACE, or an index write whose
 * system error was not classified (LevelDB reports ENOSPC in its message only).
 */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    if (isColonyError(e, 'COLONY_NO_SPACE')) return true;
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC' || /no space left on device|ENOSPC/i.test(String((e as Error).message))) return true;
  }
  return false;
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) { resolve(); return; }
  const timer = setTimeout(done, ms);
  function done() { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); }
  signal.addEventListener('abort', done);
});

export function startBlockReceiver(peer: string, deps: Deps): BlockReceiver {
  const o = { ...RECEIVER_DEFAULTS, ...deps.options };
  const { node, store, cursors, inFlight } = deps;
  const log = deps.log.child({ subsystem: 'blocks-receiver', peer });
  const track = new ReceiverTracker();
  const stats = track.counts;
  const stopper = new AbortController();
  let stream: PeerStream | undefined;
  /** The disk filled up: paused, retried every diskFullRetryMs, warned once per pause. */
  let paused = false;

  function resumeIfPaused(why: string) {
    if (!paused) return;
    paused = false;
    log.info({ why }, 'block replication from the peer resumed after the disk was full');
    track.setState('syncing');
  }

  /** The next frame of an answer, with `head` notices noted on the way (bounded by the timeout per frame). */
  async function answer(reader: FrameReader, remote: { epoch: string; head: number }): Promise<Frame> {
    for (;;) {
      const f = await reader.next(o.requestTimeoutMs);
      if (f === 'timeout') throw new ColonyError('COLONY_TIMEOUT', `${peer} did not answer in ${o.requestTimeoutMs} ms`);
      if (f === undefined) throw new ColonyError('COLONY_IO', `${peer} ended the session`);
      if (f.msg.t === 'error') throw remoteError(f.msg, peer);
      if (f.msg.t !== 'head') return f;
      notice(f.msg, remote);
    }
  }

  function notice(m: { epoch: string; head: number }, remote: { epoch: string; head: number }) {
    // A new epoch mid-session: the peer's store was replaced. End; the next hello rescans.
    if (m.epoch !== remote.epoch) throw new ColonyError('COLONY_INVALID', `${peer}'s store changed epoch during the session`);
    remote.head = Math.max(remote.head, m.head);
    track.peerHead(remote.head);
  }

  /**
   * Fetches a page's batches with at most two requests in flight: the next `fetch` goes out
   * before the previous one's blocks are read, so the peer starts on it without waiting a
   * round trip (and works on it while `settle` syncs). Memory stays one frame: the peer
   * writes with the stream's backpressure, so the second answer waits in its flow-control
   * window, not here. `settle` runs after each batch is read, before the next is.
   */
  async function fetchBatches(s: PeerStream, reader: FrameReader, remote: { epoch: string; head: number }, batches: Want[][], gaveUp: Set<string>, settle: () => Promise<void>) {
    const ask = (batch: Want[]) => writeFrame(s, { t: 'fetch', scores: batch.map((w) => scoreKey(w.score)) });
    if (batches.length > 0) await ask(batches[0]!);
    for (let i = 0; i < batches.length; i++) {
      if (i + 1 < batches.length) await ask(batches[i + 1]!);
      await readBatch(reader, remote, batches[i]!, gaveUp);
      await settle();
    }
  }

  /** Reads one batch's answers in order; adds the keys the peer cannot serve to gaveUp. A wrong block throws. */
  async function readBatch(reader: FrameReader, remote: { epoch: string; head: number }, batch: Want[], gaveUp: Set<string>) {
    for (const w of batch) {
      const key = scoreKey(w.score);
      const { msg, body } = await answer(reader, remote);
      if ((msg.t !== 'block' && msg.t !== 'missing') || msg.score !== key) throw protocolError(`${peer} answered out of order (expected block ${key})`);
      if (msg.t === 'missing') {
        stats.gaveUp++;
        gaveUp.add(key);
        log.warn({ score: formatScore(w.score), code: msg.code }, 'the peer cannot serve a block; moving past it');
        continue;
      }
      try {
        await store.putVerified(msg.type, body, w.score);
      } catch (err) {
        if (isColonyError(err, 'COLONY_CORRUPT_BLOCK')) {
          stats.rejected++;
          log.warn({ peer, score: formatScore(w.score) }, 'a peer sent a block whose bytes do not match its score; rejected, session closed');
        }
        throw err;
      }
      track.received(body.length);
    }
    const end = await answer(reader, remote);
    if (end.msg.t !== 'done') throw protocolError(`${peer} sent '${end.msg.t}' where 'done' was due`);
  }

  async function session(signal: AbortSignal): Promise<void> {
    const s = await node.newStream(peer, BLOCK_PROTOCOL, { signal: AbortSignal.any([signal, AbortSignal.timeout(o.requestTimeoutMs)]) });
    stream = s;
    if (signal.aborted) { s.abort(new Error('stopped')); return; }
    try {
      const reader = new FrameReader(s);
      const first = await answer(reader, { epoch: '', head: 0 });
      if (first.msg.t !== 'hello' || first.msg.v !== BLOCK_PROTOCOL_VERSION) throw protocolError(`${peer} did not say hello in version ${BLOCK_PROTOCOL_VERSION}`);
      const remote = { epoch: first.msg.epoch, head: first.msg.head };
      track.hello(remote.head);
      const saved = await cursors.get(peer);
      const verdict = cursorCheck(saved, remote);
      if (verdict === 'rescan') log.warn({ saved, remote }, 'the saved cursor is past the peer\'s head in the same epoch; rescanning its log');
      else if (verdict === 'rescan-from-zero' && saved) log.info({ saved: saved.epoch, epoch: remote.epoch }, 'the peer has a new store epoch; rescanning its log from 0');
      let cursor = verdict === 'resume' ? saved!.pos : 0;
      track.at(cursor);
      const startedAt = cursor;
      let logging = false; // a progress line was logged: say when it is caught up
      // Each round reads one page or waits once; stop() or a failure ends the loop.
      while (!signal.aborted) {
        if (cursor >= remote.head) {
          resumeIfPaused('caught up');
          // Caught up: a head notice or the poll interval, whichever comes first.
          const f = await reader.next(o.pollMs);
          if (f === undefined) throw new ColonyError('COLONY_IO', `${peer} ended the session`);
          if (f !== 'timeout') {
            if (f.msg.t !== 'head') throw protocolError(`${peer} sent '${f.msg.t}' unasked`);
            notice(f.msg, remote);
            continue;
          }
        }
        await writeFrame(s, { t: 'entries', from: cursor, limit: o.pageLimit });
        let got: Frame;
        try {
          got = await answer(reader, remote);
        } catch (err) {
          // The peer says our position is not one of its log's (a damaged cursor file, say):
          // read its log from 0 instead (always valid), at a cost of entries, not blocks.
          if (!isColonyError(err, 'COLONY_INVALID') || cursor === 0) throw err;
          log.warn({ pos: cursor, err: (err as Error).message }, 'the peer refused our cursor; rescanning its log from 0');
          cursor = 0;
          continue;
        }
        if (got.msg.t !== 'page') throw protocolError(`${peer} sent '${got.msg.t}' where a page was due`);
        const page = pageFromWire(got.msg);
        remote.head = Math.max(remote.head, page.head);
        track.pageRead(page.entries.map((e) => e.pos), page.entries.map((e) => e.end), page.next);
        track.peerHead(remote.head);
        const scores = page.entries.map((e) => e.score);
        const plan = planWants({ entries: page.entries, local: await store.hasMany(scores), inFlight, maxScores: o.maxScores, maxBytes: o.maxBytes });
        const planned = plan.batches.flat().map((w) => scoreKey(w.score));
        for (const k of planned) inFlight.add(k);
        const gaveUp = new Set<string>();
        const fetchedBefore = stats.fetched;
        const pageStart = cursor;
        /**
         * Makes what is held durable and moves the cursor past the settled prefix of the
         * page. hasMany is asked before the sync: every block it reports (ours, or another
         * receiver's put) was put before the sync began, so the sync made it durable.
         */
        const settle = async () => {
          const held = await store.hasMany(scores);
          await store.sync();
          if (stats.fetched > fetchedBefore) resumeIfPaused('blocks were stored and synced');
          const next = advanceCursor(pageStart, page, settledEntries(page.entries, held, gaveUp));
          if (next <= cursor) return;
          cursor = next;
          await cursors.save(peer, { epoch: remote.epoch, pos: cursor });
          track.at(cursor);
          // Where replication's memory goes (bench/grid reads these at debug): per batch, cheap.
          const m = process.memoryUsage();
          log.debug({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, cursor }, 'batch settled: memory');
          const due = track.progressDue(o.progressLogMs);
          if (due) { logging = true; log.info({ ...due, fetched: stats.fetched, fetchedBytes: stats.fetchedBytes }, `replicating from the peer: ${due.percent}% of its log`); }
          if (logging && cursor >= remote.head) { logging = false; log.info({ from: startedAt, cursor, fetched: stats.fetched }, 'caught up with the peer'); }
        };
        try {
          // Another receiver may have stored one of these between our hasMany and the plan.
          const now = await store.hasMany(plan.batches.flat().map((w) => w.score));
          const held = new Set(planned.filter((_, i) => now[i]));
          const todo = plan.batches.map((batch) => batch.filter((w) => !held.has(scoreKey(w.score)))).filter((batch) => batch.length > 0);
          await fetchBatches(s, reader, remote, todo, gaveUp, settle);
          if (todo.length === 0) await settle(); // nothing to fetch: the page may still be settled (held, or by another peer)
        } finally {
          for (const k of planned) inFlight.delete(k);
        }
        if (cursor === pageStart && page.entries.length > 0) {
          // Another peer is fetching what holds our cursor back (or a block would not settle): not a busy loop.
          await sleep(o.elsewhereWaitMs, signal);
        } else if (cursor === pageStart) {
          remote.head = Math.min(remote.head, page.next); // nothing past here yet: wait for a notice
          track.peerHead(remote.head);
        }
      }
      await s.end().catch(() => {});
    } catch (err) {
      s.abort(err as Error);
      throw err;
    } finally {
      stream = undefined;
    }
  }

  const loop = (async () => {
    let backoff = o.backoffMinMs;
    // One session per round; stop() ends the loop.
    while (!stopper.signal.aborted) {
      const before = stats.pages;
      try {
        if (!paused) track.setState('syncing');
        await session(stopper.signal);
      } catch (err) {
        if (stopper.signal.aborted) break;
        track.failed(err);
        if (isDiskFull(err)) {
          // Nothing is lost: what failed was not synced (the store cut it back), and the
          // cursor only moves past synced blocks. Warn once; try again slowly until it fits.
          if (!paused) {
            paused = true;
            stats.diskFullPauses++;
            log.warn({ err: (err as Error).message, retryInMs: o.diskFullRetryMs }, 'the disk is full: block replication from the peer is paused until there is room');
          } else {
            log.debug({ err: (err as Error).message }, 'the disk is still full');
          }
          track.setState('paused: disk full');
          await sleep(o.diskFullRetryMs, stopper.signal);
          continue;
        }
        log.info({ err: (err as Error).message, code: (err as ColonyError).code, retryInMs: backoff }, 'block session with the peer ended; retrying later');
      }
      if (stats.pages > before + 1) backoff = o.backoffMinMs; // it did work: start the backoff over
      track.setState(paused ? 'paused: disk full' : 'backoff');
      await sleep(backoff, stopper.signal);
      backoff = Math.min(backoff * 2, o.backoffMaxMs);
    }
  })();

  return {
    peer,
    stats: () => track.stats(),
    async stop() {
      stopper.abort();
      stream?.abort(new ColonyError('COLONY_CLOSED', 'block replication stopped'));
      await loop;
    },
  };
}

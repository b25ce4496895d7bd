// `ssh host import NAME < tree.tar` and `ssh host export NAME > tree.tar`: a snapshot in or out
// as a tar on one exec channel. The work is NodeInfo.snapshots (the supervisor's store and
// catalog); here the channel becomes the tar's stream: its bytes, with backpressure (the
// channel pauses while the import is behind), its EOF as the tar's end, a disconnect as an
// abort, so a client that goes away mid-stream leaves no name. Like CpuLink, this never ends
// the channel: the session sends the exit status and closes.
import { PassThrough, Writable } from 'node:stream';
import type { ServerChannel } from 'ssh2';
import { ColonyError, unsupported } from '../../errors.js';
import type { Log } from '../../log.js';
import type { NodeInfo } from '../context.js';
import { failureReply, renderReply } from '../reply.js';
import type { TransferVerb } from '../transfer.js';

/** Where a session sends the channel's bytes, EOF and hang-up while something else reads them (CpuLink, TarInput). */
export interface ChannelSink {
  write(d: Buffer): void;
  endInput(): void;
  hangup(): void;
}

const wentAway = () => new ColonyError('COLONY_IO', 'the client went away before the tar ended; nothing was saved');

/** The channel's bytes as the import's input. */
export class TarInput implements ChannelSink {
  readonly stream = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly abort = new AbortController();
  private paused = false;

  constructor(private readonly channel: ServerChannel) {
    this.stream.on('drain', () => this.unpause());
    this.stream.on('error', () => {}); // the import sees it through its iterator
  }

  get signal(): AbortSignal { return this.abort.signal; }

  write(d: Buffer): void {
    if (this.stream.destroyed || this.stream.writableEnded) return; // after a refusal: dropped
    if (!this.stream.write(d) && !this.paused) { this.paused = true; this.channel.pause(); }
  }

  endInput(): void {
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  /** The client disconnected or the console stops: the import fails and registers nothing. */
  hangup(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.stream.destroy(wentAway());
    this.unpause();
  }

  /** The import is over (done or refused): the rest of the client's bytes are dropped. */
  close(): void {
    this.stream.destroy();
    this.unpause();
  }

  private unpause(): void {
    if (this.paused) { this.paused = false; this.channel.resume(); }
  }
}

/** The channel's stdout as a Writable for the export that never ends the channel (the exit status comes after). */
function channelOut(channel: ServerChannel): Writable {
  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, done) {
      if (!channel.writable || channel.destroyed) { done(new ColonyError('COLONY_IO', 'the client went away during the export')); return; }
      if (channel.write(chunk)) { done(); return; }
      const settle = (err?: Error) => { channel.off('drain', onDrain); channel.off('close', onClose); done(err); };
      const onDrain = () => settle();
      const onClose = () => settle(new ColonyError('COLONY_IO', 'the client went away during the export'));
      channel.on('drain', onDrain);
      channel.on('close', onClose);
    },
    final(done) { done(); },
  });
}

export interface TransferIo {
  channel: ServerChannel;
  user: string;
  node: NodeInfo;
  log: Log;
  /** `--json`: the import's reply (or any failure) as one JSON object; an export's failure, on stderr. */
  json: boolean;
  out(text: string): void;
  err(text: string): void;
  /** Sends the channel's input to `sink` (undefined: back to the session). Called synchronously, before any byte can arrive. */
  attach(sink: ChannelSink | undefined): void;
}

/** Runs `import NAME` or `export NAME` on an exec channel; resolves with the exit status. */
export async function runTransfer(c: { kind: TransferVerb; name: string }, io: TransferIo): Promise<number> {
  const { user, log, json } = io;
  const fail = (err: unknown, where: (t: string) => void = json ? io.out : io.err) => {
    where(`${renderReply(failureReply(err), json)}\n`);
    return 1;
  };
  const snapshots = io.node.snapshots;
  if (c.kind === 'import') {
    const input = new TarInput(io.channel);
    io.attach(input);
    try {
      if (!snapshots) return fail(unsupported(`import over SSH is not available on this node (use colony import on it)`));
      log.info({ user, name: c.name }, 'ssh import');
      const reply = await snapshots.importTar(user, c.name, input.stream, { signal: input.signal });
      io.out(`${renderReply(reply, json)}\n`);
      return 0;
    } catch (err) {
      log.info({ user, name: c.name, err: failureReply(err).output }, 'ssh import failed');
      return fail(err);
    } finally {
      input.close();
    }
  }
  // The tar is stdout, so anything else, JSON included, goes to stderr.
  if (!snapshots) return fail(unsupported(`export over SSH is not available on this node (use colony export on it)`), io.err);
  try {
    log.info({ user, name: c.name }, 'ssh export');
    const note = await snapshots.exportTar(user, c.name, channelOut(io.channel));
    if (note) io.err(`${note}\n`);
    return 0;
  } catch (err) {
    log.info({ user, name: c.name, err: failureReply(err).output }, 'ssh export failed');
    return fail(err, io.err);
  }
}

// Small helpers for what people read: sizes, rates and a one-line progress meter.

import { bytes as formatBytes } from '../console/format.js';

/** Sizes as the console writes them (1.5 MiB), so the CLI's lines match the SSH console's. */
export { formatBytes };

/**
 * A progress line on a terminal, redrawn at most ten times a second; silent when the
 * stream is not a TTY, so logs and pipes stay clean.
 */
export function progressLine(stream: NodeJS.WritableStream & { isTTY?: boolean }, label: string) {
  const started = Date.now();
  let last = 0;
  const tty = stream.isTTY === true;
  return {
    update(done: number, total: number, extra = '') {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const secs = Math.max((now - started) / 1000, 0.001);
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      stream.write(`\r${label} ${pct}% ${formatBytes(done)}/${formatBytes(total)} ${formatBytes(done / secs)}/s ${extra}\x1b[K`);
    },
    done() { if (tty) stream.write('\r\x1b[K'); },
  };
}

/** Progress for work of unknown size (an import from a pipe): bytes, files and rate, on a TTY only. */
export function progressCounter(stream: NodeJS.WritableStream & { isTTY?: boolean }, label: string) {
  const started = Date.now();
  let last = 0;
  const tty = stream.isTTY === true;
  return {
    update(bytes: number, files: number) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const secs = Math.max((now - started) / 1000, 0.001);
      stream.write(`\r${label}: ${files} files, ${formatBytes(bytes)}, ${formatBytes(bytes / secs)}/s\x1b[K`);
    },
    done() { if (tty) stream.write('\r\x1b[K'); },
  };
}

// The Raspberry Pi image, end to end (test/helpers/image-checks.ts), on QEMU's virt machine
// (cortex-a72, TCG): QEMU 7.2 has no Pi 4. Too slow for every CI run (the first build runs
// Debian's package scripts under emulation): `npm run test:image-arm64`.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exerciseImage } from '../helpers/image-checks.js';

if (process.platform !== 'linux' || process.arch !== 'x64' || process.getuid?.() !== 0) {
  t.plan(0, 'the image is built as root on an x86_64 Linux host');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'colony-image-arm64-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('the arm64 image boots on virt, serves, grows its data disk and keeps its data across a reboot', (t) => exerciseImage(t, 'arm64', dir));

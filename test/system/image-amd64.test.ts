// The flashable amd64 image, end to end (test/helpers/image-checks.ts): built, powered on in
// QEMU (TCG, UEFI), used through its serial and SSH consoles, rebooted.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exerciseImage } from '../helpers/image-checks.js';

if (process.platform !== 'linux' || process.arch !== 'x64' || process.getuid?.() !== 0) {
  t.plan(0, 'the image is built as root on an x86_64 Linux host');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'colony-image-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('the amd64 image boots, serves, grows its data disk and keeps its data across a reboot', (t) => exerciseImage(t, 'amd64', dir));

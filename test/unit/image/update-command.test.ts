// colony update's pure parts: RAUC's status JSON as Colony shows it, why an install failed,
// and the SSH console's `update` line.
import t from 'tap';
import { existsSync } from 'node:fs';
import { runCli } from '../../helpers/cli.js';
import { formatStatus, installFailure, parseRaucStatus, RAUC_CONF } from '../../../appliance/update/index.js';
import { parseUpdateLine } from '../../../appliance/console/ssh/update.js';

// The shape of RAUC 1.8's `rauc status --detailed --output-format=json` after an update to B.
const raucJson = JSON.stringify({
  compatible: 'colony-amd64', variant: '', booted: 'A', boot_primary: 'rootfs.1',
  slots: [
    { 'rootfs.1': { class: 'rootfs', device: '/dev/disk/by-partuuid/b', type: 'ext4', bootname: 'B', state: 'inactive', parent: null, mountpoint: null, boot_status: 'good',
      slot_status: { bundle: { compatible: 'colony-amd64', version: '1a2b3c4' }, installed: { timestamp: '2026-12-07T10:19:00Z', count: 1 }, status: 'ok' } } },
    { 'rootfs.0': { class: 'rootfs', device: '/dev/disk/by-partuuid/a', type: 'ext4', bootname: 'A', state: 'booted', parent: null, mountpoint: '/', boot_status: 'good',
      slot_status: { status: 'ok' } } },
  ],
});

t.test('rauc status: slots, booted, next; the running root\'s commit from /etc/colony/release', async (t) => {
  const st = parseRaucStatus(raucJson, 'COLONY_ARCH=amd64\nCOLONY_COMMIT=8ef9955\n');
  t.equal(st.booted, 'A');
  t.equal(st.next, 'B', 'boot_primary named by its bootname');
  t.same(st.slots.map((s) => [s.bootname, s.state, s.boot, s.version, s.installed]), [
    ['B', 'inactive', 'good', '1a2b3c4', '2026-12-07T10:19:00Z'],
    ['A', 'booted', 'good', '8ef9955', ''],
  ]);
  const text = formatStatus(st);
  t.match(text, /^slot B \(rootfs\.1\)\s+inactive\s+good\s+version 1a2b3c4\s+installed 2026-12-07T10:19:00Z$/m);
  t.match(text, /next boot: slot B \(a trial: committed after a healthy boot, else slot A again\)/);
  t.match(formatStatus({ ...st, next: 'A' }), /next boot: slot A \(the running one\)/);
  t.throws(() => parseRaucStatus('not json'), { code: 'COLONY_PROTOCOL' });
});

t.test('why an install failed, with a stable code', async (t) => {
  const sig = installFailure('  0% Installing\n 40% Checking bundle failed.\nLastError: Failed to verify bundle: signature verification failed: CMS_verify\nInstalling `/x.raucb` failed\n', '/x.raucb');
  t.equal(sig.code, 'COLONY_AUTH');
  t.match(sig.message, /signature does not verify.*nothing was written \(Failed to verify bundle: signature verification failed: CMS_verify\)/);
  t.equal(installFailure('LastError: Compatible mismatch: Expected \'colony-amd64\' but bundle manifest has \'other\'\n', 'f').code, 'COLONY_INVALID');
  t.equal(installFailure('LastError: Failed writing image: No space left\n', 'f').code, 'COLONY_IO');
});

t.test('the SSH console\'s update line', async (t) => {
  t.same(parseUpdateLine('update'), { kind: 'install', reboot: false });
  t.same(parseUpdateLine('update --reboot'), { kind: 'install', reboot: true });
  t.same(parseUpdateLine(' update status '), { kind: 'status' });
  t.equal(parseUpdateLine('import base'), undefined);
  t.throws(() => parseUpdateLine('update now'), { code: 'COLONY_USAGE' });
});

t.test('colony update off the image: refused with a clear reason, exit 1', async (t) => {
  if (existsSync(RAUC_CONF)) { t.comment(`skipped: ${RAUC_CONF} exists here`); return; }
  const r = await runCli(['update', '/nonexistent.raucb']);
  t.equal(r.code, 1);
  t.match(r.stderr, /runs on the Colony appliance image \(no \/etc\/rauc\/system\.conf here\)/);
  const st = await runCli(['update', 'status']);
  t.equal(st.code, 1);
  t.match(st.stderr, /runs on the Colony appliance image/);
  const help = await runCli(['update', '--help']);
  t.match(help.stdout.toString(), /--reboot/, 'update --help names --reboot');
});

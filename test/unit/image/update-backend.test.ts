// image/update/backend, RAUC's systemd-boot backend, on directories standing in for the
// ESP and the two slots: the entries it writes, and which slot it says boots next as
// systemd-boot renames entries (a try spent, tries run out, a blessed boot).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'colony-backend-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const esp = join(dir, 'esp');
const slots = join(dir, 'slots');
const entriesDir = join(esp, 'loader', 'entries');
const layout = readFileSync(join(repoRoot, 'image', 'layout.env'), 'utf8');
const uuid = (name: string) => new RegExp(`^${name}=(\\S+)`, 'm').exec(layout)![1]!;

function backend(...args: string[]): string {
  return execFileSync(join(repoRoot, 'image', 'update', 'backend'), args, {
    env: { ...process.env, COLONY_UPDATE_ESP: esp, COLONY_UPDATE_SLOTS: slots, COLONY_UPDATE_LAYOUT: join(repoRoot, 'image', 'layout.env') },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}
const entries = () => readdirSync(entriesDir).sort();
const rename = (from: string, to: string) => renameSync(join(entriesDir, from), join(entriesDir, to));

function slotRoot(slot: string, kver: string) {
  mkdirSync(join(slots, slot, 'lib', 'modules', kver), { recursive: true });
  mkdirSync(join(slots, slot, 'boot'), { recursive: true });
  writeFileSync(join(slots, slot, 'boot', `vmlinuz-${kver}`), `kernel ${slot} ${kver}`);
  writeFileSync(join(slots, slot, 'boot', `initrd.img-${kver}`), `initrd ${slot} ${kver}`);
}

// The ESP as image/layout.sh writes it.
mkdirSync(entriesDir, { recursive: true });
writeFileSync(join(entriesDir, 'colony-a.conf'), `title    Colony (slot A, 6.1.0-1-amd64)\nsort-key colony\nversion  1\nlinux    /a/vmlinuz\ninitrd   /a/initrd.img\noptions  root=PARTUUID=${uuid('ROOT_A_UUID')} ro rootwait console=ttyS1,115200 rauc.slot=A\n`);

t.test('a fresh image boots slot A, and A is good', async (t) => {
  t.equal(backend('get-primary'), 'A');
  t.equal(backend('get-state', 'A'), 'good');
  t.equal(backend('get-state', 'B'), 'bad', 'B has no entry');
});

t.test('an install into B: a new entry with three tries, first in the order', async (t) => {
  slotRoot('B', '6.1.0-2-amd64');
  backend('set-state', 'B', 'bad'); // RAUC does this before it writes the slot
  backend('set-primary', 'B');
  t.same(entries(), ['colony-a.conf', 'colony-b+3.conf']);
  const b = readFileSync(join(entriesDir, 'colony-b+3.conf'), 'utf8');
  t.match(b, /^version\s+2$/m, 'the next generation');
  t.match(b, /^linux\s+\/b\/vmlinuz$/m);
  t.match(b, new RegExp(`^options\\s+root=PARTUUID=${uuid('ROOT_B_UUID')} ro rootwait console=ttyS1,115200 rauc\\.slot=B$`, 'm'), 'A\'s options, B\'s root and slot');
  t.equal(readFileSync(join(esp, 'b', 'vmlinuz'), 'utf8'), 'kernel B 6.1.0-2-amd64', 'the kernel of the new root');
  t.equal(readFileSync(join(esp, 'b', 'initrd.img'), 'utf8'), 'initrd B 6.1.0-2-amd64');
  t.equal(backend('get-primary'), 'B', 'B boots next');
  t.equal(backend('get-state', 'B'), 'good', 'tries left');
});

t.test('tries spent, then none left: A again', async (t) => {
  rename('colony-b+3.conf', 'colony-b+1-2.conf');
  t.equal(backend('get-primary'), 'B', 'one try left');
  rename('colony-b+1-2.conf', 'colony-b+0-3.conf');
  t.equal(backend('get-primary'), 'A', 'no tries left: the old slot');
  t.equal(backend('get-state', 'B'), 'bad');
});

t.test('a blessed trial: mark-good drops the counter; the next update goes to A', async (t) => {
  rename('colony-b+0-3.conf', 'colony-b+2-1.conf');
  backend('set-state', 'B', 'good');
  t.same(entries(), ['colony-a.conf', 'colony-b.conf']);
  t.equal(backend('get-primary'), 'B');
  backend('set-state', 'B', 'good');
  t.same(entries(), ['colony-a.conf', 'colony-b.conf'], 'marking a blessed slot good again changes nothing');

  slotRoot('A', '6.1.0-3-amd64');
  backend('set-state', 'A', 'bad');
  t.same(entries(), ['colony-b.conf'], 'the slot being written cannot be booted');
  backend('set-primary', 'A');
  t.same(entries(), ['colony-a+3.conf', 'colony-b.conf']);
  t.match(readFileSync(join(entriesDir, 'colony-a+3.conf'), 'utf8'), /^version\s+3$/m);
  t.match(readFileSync(join(entriesDir, 'colony-a+3.conf'), 'utf8'), /rauc\.slot=A$/m, 'one rauc.slot, A\'s');
  t.equal(backend('get-primary'), 'A');
});

t.test('a slot without a kernel is refused and gets no entry', async (t) => {
  rmSync(join(slots, 'B'), { recursive: true });
  mkdirSync(join(slots, 'B'));
  backend('set-state', 'B', 'bad');
  let stderr = '';
  try { backend('set-primary', 'B'); } catch (err) { stderr = String((err as { stderr?: string }).stderr); }
  t.match(stderr, /no kernel/, 'refused with the reason');
  t.same(entries(), ['colony-a+3.conf']);
  t.equal(backend('get-primary'), 'A');
});

// The kernel's text formats, as the kernel writes them, and what a garbled file becomes.
import t from 'tap';
import { parseLine, parseLoadavg, parseMeminfo, parseMillidegrees, parsePrettyName, parseUptime } from '../../../../hw/sysinfo/parse.js';

// A real /proc/meminfo head (Linux 6.1, arm64, 4 GiB Pi 4): the label in 16 columns, the value in 8.
const MEMINFO = [
  'MemTotal:        3880180 kB',
  'MemFree:         2967880 kB',
  'MemAvailable:    3459732 kB',
  'Buffers:           42104 kB',
  'Cached:           554612 kB',
  'HugePages_Total:       0',
  'Hugepagesize:       2048 kB',
  '',
].join('\n');

t.test('/proc/meminfo: MemTotal and MemAvailable in bytes', async (t) => {
  t.same(parseMeminfo(MEMINFO), { totalBytes: 3880180 * 1024, availableBytes: 3459732 * 1024 });
  // A value wider than 8 columns pushes the label's padding, with no space lost.
  t.same(parseMeminfo('MemTotal:       24683772 kB\nMemAvailable:   24096288 kB\n'), { totalBytes: 24683772 * 1024, availableBytes: 24096288 * 1024 });
});

t.test('/proc/meminfo garbled: COLONY_CORRUPT_DATA naming the file and what is missing', async (t) => {
  t.throws(() => parseMeminfo('MemTotal: lots\nMemAvailable: 5 kB\n', '/sim/proc/meminfo'), { code: 'COLONY_CORRUPT_DATA', message: /\/sim\/proc\/meminfo: no MemTotal line/ });
  t.throws(() => parseMeminfo('MemTotal:        3880180 kB\n'), { code: 'COLONY_CORRUPT_DATA', message: /no MemAvailable line/ });
  t.throws(() => parseMeminfo(''), { code: 'COLONY_CORRUPT_DATA' });
  t.throws(() => parseMeminfo('\0'.repeat(200)), { message: /…/ }, 'long garbage is cut short in the message');
});

t.test('/proc/loadavg', async (t) => {
  t.same(parseLoadavg('0.06 0.71 1.37 1/120 6898\n'), [0.06, 0.71, 1.37]);
  t.same(parseLoadavg('12.00 8.50 4.25 7/1024 123456'), [12, 8.5, 4.25]);
  for (const bad of ['', '0.06 0.71\n', 'a b c 1/2 3\n', '0.06 0.71 1.37\n']) {
    t.throws(() => parseLoadavg(bad), { code: 'COLONY_CORRUPT_DATA', message: /\/proc\/loadavg/ }, JSON.stringify(bad));
  }
});

t.test('/proc/uptime', async (t) => {
  t.equal(parseUptime('44430.59 31292.20\n'), 44430.59);
  t.equal(parseUptime('5 3'), 5);
  for (const bad of ['', 'soon\n', '-1.00 2.00\n', '1.00\n']) t.throws(() => parseUptime(bad), { code: 'COLONY_CORRUPT_DATA' }, JSON.stringify(bad));
});

t.test('thermal temp: millidegrees, negative below zero', async (t) => {
  t.equal(parseMillidegrees('45277\n', 'x'), 45.277);
  t.equal(parseMillidegrees('-5000\n', 'x'), -5);
  t.equal(parseMillidegrees('0', 'x'), 0);
  for (const bad of ['', '45.2\n', 'hot\n', '45277 \n']) t.throws(() => parseMillidegrees(bad, '/t/temp'), { code: 'COLONY_CORRUPT_DATA', message: /\/t\/temp/ }, JSON.stringify(bad));
});

t.test('one-line attributes and the device tree NUL', async (t) => {
  t.equal(parseLine('cpu-thermal\n'), 'cpu-thermal');
  t.equal(parseLine('Raspberry Pi 4 Model B Rev 1.4\0'), 'Raspberry Pi 4 Model B Rev 1.4');
  t.equal(parseLine('Standard PC (Q35 + ICH9, 2009)\n'), 'Standard PC (Q35 + ICH9, 2009)');
});

t.test('/etc/os-release PRETTY_NAME', async (t) => {
  t.equal(parsePrettyName('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'), 'Debian GNU/Linux 12 (bookworm)');
  t.equal(parsePrettyName("PRETTY_NAME='It\\'s'\n"), "It's");
  t.equal(parsePrettyName('PRETTY_NAME=Bare\n'), 'Bare');
  t.equal(parsePrettyName('ID=debian\n'), undefined);
});

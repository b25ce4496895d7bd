#!/bin/bash
# Everyday file work against the mount under test (run in the guest, cwd /mnt). Stops at the
# first failed step, naming it. Prints KEY=VALUE lines the host checks against its own view
# of the exported directory.
# usage: workout.sh [DIR]   (default: work)
#   BIG_MIB=64   size of the checksummed file
#   TREE=/usr/share/perl5/Debconf   the tree copied in and back out (a host path)
set -euo pipefail
trap 'echo "workout: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
d="${1:-work}"
big_mib="${BIG_MIB:-64}"
tree_src="${TREE:-/usr/share/perl5/Debconf}"
rm -rf "$d"
mkdir "$d"
cd "$d"
step() { echo "step: $* (t=${SECONDS}s)"; }

step create, write, read back, append, truncate
printf 'hello\n' >a.txt
[ "$(cat a.txt)" = hello ]
printf 'world\n' >>a.txt
[ "$(cat a.txt)" = "$(printf 'hello\nworld')" ]
truncate -s 3 a.txt
[ "$(cat a.txt)" = hel ]
truncate -s 10 a.txt
[ "$(stat -c %s a.txt)" = 10 ]
[ "$(tail -c 7 a.txt | od -An -tx1 | tr -d ' \n')" = 00000000000000 ]
printf 'XY' | dd of=a.txt bs=1 seek=1 conv=notrunc status=none
[ "$(head -c 3 a.txt)" = hXY ]

step mkdir -p
mkdir -p deep/er/still/here
[ -d deep/er/still/here ]
echo deep >deep/er/still/here/leaf

step rename a file, a directory, over an existing entry
echo r >r1
mv r1 r2
[ ! -e r1 ]
[ "$(cat r2)" = r ]
mkdir dir1
echo in >dir1/f
mv dir1 dir2
[ ! -e dir1 ]
[ "$(cat dir2/f)" = in ]
echo new >over
echo old >target
mv -f over target
[ ! -e over ]
[ "$(cat target)" = new ]
mkdir emptydir
mv -T dir2 emptydir
[ "$(cat emptydir/f)" = in ]

step hard link and symlink
echo L >l0
ln l0 l1
[ "$(stat -c %h l0)" = 2 ]
[ "$(stat -c %i l0)" = "$(stat -c %i l1)" ]
ln -s l0 sl
[ "$(readlink sl)" = l0 ]
[ "$(cat sl)" = L ]
ln -s deep/er dirlink
[ "$(cat dirlink/still/here/leaf)" = deep ]

step chmod and chown
echo m >mode
chmod 640 mode
[ "$(stat -c %a mode)" = 640 ]
chmod u+x,g-r mode
[ "$(stat -c %a mode)" = 700 ]
echo o >owned
chown 1000:1000 owned
[ "$(stat -c %u:%g owned)" = 1000:1000 ]

step mkfifo and mknod of a fifo
mkfifo fifo
mknod fifo2 p
[ -p fifo ]
[ -p fifo2 ]

step xattrs
echo x >xa
setfattr -n user.colony -v hello xa
[ "$(getfattr --only-values -n user.colony xa)" = hello ]
setfattr -n user.second -v 2 xa
getfattr -d --absolute-names xa | grep -q 'user.second="2"'
setfattr -x user.second xa
if getfattr -n user.second xa 2>/dev/null; then false; fi

step sparse file
dd if=/dev/zero of=sparse bs=4096 count=1 seek=25600 status=none
[ "$(stat -c %s sparse)" = $((4096 * 25601)) ]
[ "$(dd if=sparse bs=4096 skip=100 count=1 status=none | tr -d '\0' | wc -c)" = 0 ]

step "a ${big_mib} MiB file, checksummed"
head -c "$((big_mib * 1024 * 1024))" /dev/urandom >big
src="$(sha256sum <big | cut -d' ' -f1)"
[ "$(stat -c %s big)" = $((big_mib * 1024 * 1024)) ]
# Read back through a fresh open after dropping the page cache (matters for cache=loose/mmap).
sync
echo 3 >/proc/sys/vm/drop_caches
back="$(sha256sum <big | cut -d' ' -f1)"
[ "$src" = "$back" ]

step "cp -a of a tree in and back out, find, du"
# The source is copied to the guest's tmpfs first, so only the mount under test is timed.
cp -a "$tree_src" /tmp/tree-src
cp -a /tmp/tree-src tree
diff -r /tmp/tree-src tree
cp -a tree /tmp/tree-out
diff -r tree /tmp/tree-out
tree_entries="$(find tree | wc -l)"
[ "$tree_entries" = "$(find /tmp/tree-src | wc -l)" ]
du -s tree >/dev/null
du -s --apparent-size . >/dev/null

step done
echo "big_sha256=$src"
echo "sparse_blocks=$(stat -c %b sparse)"
echo "tree_entries=$tree_entries"
echo "workout=ok"

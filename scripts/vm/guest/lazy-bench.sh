#!/bin/bash
# bench/lazy.ts's guest half: the same start-up workload on lazily spawned Colony
# environments (v9fs mounts, given as NAME=DIR arguments) and on the same tree in a local
# ext4 image (/dev/vda), in this one guest. Run in chroot /host; each step runs in
# `chroot ROOT`.
# usage: lazy-bench.sh NAME=DIR...
# Steps: `prompt` (an interactive login bash up to its first prompt, then `exit`), `sh`
# (sh -c true), `apt` (apt-cache policy) and `python` (python3 -c pass), the last two only
# where the tree has them.
# Prints `lazy PASS TREE STEP secs=S rchar=N` (rchar: the read() bytes of the step and its
# children, from /proc/PID/io), `lazy mark cold-NAME-done` once NAME's cold pass ends (the
# host reads that supervisor's store counters then; nothing touches it until the warm
# passes), `lazy touched files=N bytes=B` (regular files of the ext4 tree whose atime the
# cold pass moved: strictatime) and `lazy disk-read bytes=B` (what ext4 read from its disk
# in its cold pass).
# Needs $LAZY_MODULES (the guest kernel's module tree, through the host root) and
# $LAZY_WARM (warm passes after the cold ones; default 1).
set -u
ext4=/tmp/lazy-ext4
names=() roots=()
for a in "$@"; do names+=("${a%%=*}"); roots+=("${a#*=}"); done
warm=${LAZY_WARM:-1}
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

fail() { echo "lazy-bench: $*" >&2; exit 1; }

export MODPROBE_OPTIONS="-d $LAZY_MODULES"
modprobe virtio_blk && modprobe ext4 || fail "cannot load virtio_blk and ext4"
for _ in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
[ -b /dev/vda ] || fail "no /dev/vda"
mkdir -p "$ext4"
mount -t ext4 -o strictatime /dev/vda "$ext4" || fail "cannot mount the ext4 image"

# /dev and /proc for the workload, the same way in both trees.
for r in "${roots[@]}" "$ext4"; do
  mount --bind /dev "$r/dev" && mount -t proc proc "$r/proc" || fail "cannot mount /dev and /proc in $r"
done

steps=(prompt sh)
[ -x "$ext4/usr/bin/apt-cache" ] && steps+=(apt)
[ -x "$ext4/usr/bin/python3" ] && steps+=(python)

in_root() { chroot "$1" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=$path "${@:2}"; }
step() {
  local root=$1
  case $2 in
    prompt) printf 'exit\n' | in_root "$root" /bin/bash -il ;;
    sh) in_root "$root" /bin/sh -c true ;;
    apt) in_root "$root" apt-cache policy ;;
    python) in_root "$root" python3 -c pass ;;
  esac
}
# One step in a subshell: the children it reaped count in its /proc/PID/io.
timed() {
  local pass=$1 name=$2 root=$3 s=$4
  (
    me=$BASHPID t0=$EPOCHREALTIME
    step "$root" "$s" >/dev/null 2>&1 || echo "lazy-bench: $s failed on $name" >&2
    t1=$EPOCHREALTIME
    rchar=$(sed -n 's/^rchar: //p' "/proc/$me/io")
    echo "lazy $pass $name $s secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') rchar=$rchar"
  )
}
run_pass() { for s in "${steps[@]}"; do timed "$1" "$2" "$3" "$s"; done; }

# Warm the harness's own tools (chroot, env, awk, sed through the host root) first.
in_root / /bin/true; awk 'BEGIN {}'; sed -n 1p /proc/self/io >/dev/null

for i in "${!names[@]}"; do
  run_pass cold "${names[$i]}" "${roots[$i]}"
  echo "lazy mark cold-${names[$i]}-done"
done
sleep 1
since=$(($(date +%s) - 1))
disk0=$(awk '{ print $3 }' /sys/block/vda/stat)
run_pass cold ext4 "$ext4"
disk1=$(awk '{ print $3 }' /sys/block/vda/stat)
echo "lazy disk-read bytes=$(((disk1 - disk0) * 512))"
find "$ext4" -xdev -type f -newerat "@$since" -printf '%s\n' | awk '{ n++; b += $1 } END { printf "lazy touched files=%d bytes=%d\n", n, b }'
for i in $(seq "$warm"); do
  for i in "${!names[@]}"; do run_pass warm "${names[$i]}" "${roots[$i]}"; done
  run_pass warm ext4 "$ext4"
done

for r in "${roots[@]}" "$ext4"; do umount "$r/proc" "$r/dev"; done
umount "$ext4"
echo "lazy done"

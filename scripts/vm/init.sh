#!/bin/sh
# /init of the v9fs harness guest (busybox sh). The per-run archive adds /run/colony/:
#   mounts     one line per 9P server: PORT TARGET OPTIONS
#              PORT is the virtio-serial port name (9p, 9p1, ...), TARGET the path inside the
#              chroot (/mnt for the server under test), OPTIONS the v9fs options without trans.
#              Or: tcp TARGET mount -t 9p -o trans=tcp,... 10.0.2.100 MOUNTPOINT
#              a whole mount command over QEMU's user network (guestfwd to the host's
#              server), run as given except for its last word, the mount point.
#              The file may be empty: a run with no 9P server (the script starts its own).
#   script.sh  run by bash in `chroot /host`, cwd /mnt (/tmp when nothing is mounted there)
#   lifetime   seconds after which the guest powers itself off whatever it is doing
#   reroot     when present, the script runs in a real root instead of a chroot: in a new
#              mount namespace /host is moved onto / and entered (switch_root's trick), so
#              pivot_root (bubblewrap) and user namespaces work, which the kernel refuses
#              to a chrooted process.
# Always: lo is up, devpts is at /host/dev/pts (/dev/ptmx usable), cgroup2 is mounted at
# /host/sys/fs/cgroup, and the host's /tmp (hidden by the guest's tmpfs) is at /run/host-tmp.
# The host's / (QEMU virtio-9p, tag hostroot) is mounted read-only at /host so host tools
# run against the mounts. Console markers, one per line, for the host to parse:
#   @@MOUNT ok | @@MOUNT fail TARGET   @@BEGIN   @@END rc=N   @@DONE
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp

say() { echo "$*" >/dev/console; }
finish() { sync; say "@@DONE"; poweroff -f; sleep 5; echo o >/proc/sysrq-trigger; }

# A hard cap on the guest's life, so a QEMU whose host-side owner died still ends.
if [ -f /run/colony/lifetime ]; then
  (sleep "$(cat /run/colony/lifetime)"; say "@@WATCHDOG power off"; echo o >/proc/sysrq-trigger) &
fi

while read -r m; do
  insmod "/lib/modules/$m" 2>/dev/console || say "@@WARN insmod $m failed"
done </lib/modules/load-order

# Find the device of a named virtio-serial port; the name arrives from QEMU shortly after probe.
port_dev() {
  i=0
  while [ $i -lt 200 ]; do
    for n in /sys/class/virtio-ports/*/name; do
      [ -f "$n" ] || continue
      if [ "$(cat "$n")" = "$1" ]; then
        d="${n%/name}"; echo "/dev/${d##*/}"; return 0
      fi
    done
    sleep 0.05; i=$((i + 1))
  done
  return 1
}

# v9fs with trans=fd cannot use a vport fd (no read_iter/write_iter), so relay through FIFOs:
# vport -> NAME.in -> kernel (rfdno 5), kernel (wfdno 6) -> NAME.out -> vport.
mount_9p() { # PORT WHERE OPTIONS
  dev="$(port_dev "$1")" || { say "no virtio port named $1"; return 1; }
  fin="/run/colony/$1.in"; fout="/run/colony/$1.out"
  mkfifo "$fin" "$fout"
  (
    exec 3<>"$dev" </dev/null
    cat <&3 >"$fin" &
    cat "$fout" >&3 &
  )
  mkdir -p "$2"
  mount -t 9p -o "$3,trans=fd,rfdno=5,wfdno=6" "colony-$1" "$2" 5<"$fin" 6>"$fout"
}

# The user network, only when QEMU gave us a NIC (tcp mounts): a static address in QEMU's
# 10.0.2.0/24, where guestfwd answers at 10.0.2.100. Nothing routes beyond QEMU.
net_up() {
  [ -n "$net_done" ] && return 0
  i=0
  while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  ip link set lo up && ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up && net_done=1
}

if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /host; then
  say "@@MOUNT fail /host"; finish
fi
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t cgroup2 cgroup2 /host/sys/fs/cgroup 2>/dev/null || say "@@WARN no cgroup2"
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/shm /host/dev/pts
mount -t tmpfs shm /host/dev/shm
# A devpts of our own: /dev/ptmx (devtmpfs, 0666) opens the instance at the pts beside it.
mount -t devpts -o gid=5,mode=620,ptmxmode=0666 devpts /host/dev/pts 2>/dev/null || say "@@WARN no devpts"
mount -t tmpfs run /host/run
# The checkout may live under the host's /tmp, which the tmpfs below hides: keep it reachable.
mkdir -p /host/run/host-tmp
mount --bind /host/tmp /host/run/host-tmp
mount -t tmpfs tmp /host/tmp
ip link set lo up 2>/dev/null

ok=1
n=0
while read -r port target opts; do
  [ -n "$port" ] || continue
  n=$((n + 1))
  if [ "$target" = /mnt ]; then where=/mnt; else where="/run/colony/m$n"; fi
  if [ "$port" = tcp ]; then
    # $opts is the whole mount command; run it on $where instead of its last word.
    mkdir -p "$where"
    net_up && sh -c "${opts% *} $where"
  else
    mount_9p "$port" "$where" "$opts"
  fi
  if [ $? = 0 ]; then
    mkdir -p "/host$target" 2>/dev/null
    mount --bind "$where" "/host$target" || { ok=0; say "@@MOUNT fail $target (bind)"; }
  else
    ok=0; say "@@MOUNT fail $target"
    dmesg | grep -i 9p | tail -n 5 >/dev/console
  fi
done </run/colony/mounts
[ $ok = 1 ] || finish
say "@@MOUNT ok"

cp /run/colony/script.sh /host/tmp/.colony-run.sh
# The guest-side scripts travel in the per-run archive (the host's /tmp is hidden here).
[ -d /run/colony/vm ] && cp -a /run/colony/vm /host/tmp/colony-vm
cwd=/mnt
[ -s /run/colony/mounts ] || cwd=/tmp
say "@@BEGIN"
if [ -f /run/colony/reroot ]; then
  # In a mount namespace of its own, so this shell keeps the initramfs (busybox, poweroff).
  unshare -m sh -c 'cd /host && mount --move . / && exec chroot . /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "cd $0 && exec /bin/bash /tmp/.colony-run.sh"' "$cwd" </dev/null >/dev/console 2>&1
else
  chroot /host /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "cd $cwd && exec /bin/bash /tmp/.colony-run.sh" </dev/null >/dev/console 2>&1
fi
rc=$?
# The output may not end with a newline; the marker must start a line (the host drops the
# one empty line this adds).
say ""
say "@@END rc=$rc"

# Write back what cache=loose/mmap still holds before the power goes.
sync
umount /host/mnt 2>/dev/null
umount /mnt 2>/dev/null
finish

#!/usr/bin/env bash
# Builds (once) what the v9fs harness boots: an uncompressed vmlinux from Debian's kernel
# package and a base initramfs (busybox, our /init, the 9p and virtio modules). Results are
# cached under $COLONY_VM_CACHE (default ~/.cache/colony-vm), keyed by kernel version, and
# the base initramfs also by a hash of its inputs, so a second run only checks and prints.
#
# usage: scripts/vm/build.sh            prints KEY=VALUE lines (KVER, VMLINUX, INITRD, QEMU)
#        scripts/vm/build.sh --packages only ensures the Debian packages
#
# Everything comes from Debian: the packages through scripts/ensure-apt.sh, the kernel
# through `apt-get download` and `dpkg-deb -x`. No other network is used.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${COLONY_VM_CACHE:-$HOME/.cache/colony-vm}"

# Host side: qemu, busybox, cpio, kmod (modprobe/depmod), xz and python3 (vmlinux
# extraction), diod (the reference 9P server). Guest side, reached through the read-only
# host root: the test tools.
# The cpu tests add the sandbox, the terminal driver, the SSH client and make (the fixture's).
packages=(qemu-system-x86 busybox-static cpio kmod xz-utils python3 diod
          fio dbench stress-ng attr util-linux coreutils perl
          bubblewrap tmux openssh-client make)
"$repo/scripts/ensure-apt.sh" "${packages[@]}"
[ "${1:-}" = --packages ] && exit 0

mkdir -p "$cache"
# Parallel test files may call this at once: one builder at a time, the rest wait and reuse.
exec 8>"$cache/.lock"
flock -w 900 8 || { echo "build.sh: timed out waiting for $cache/.lock" >&2; exit 1; }

log() { echo "build.sh: $*" >&2; }

# --- Which kernel: the one linux-image-amd64 depends on today. -------------------------------
kpkg="$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)"
if [ -z "$kpkg" ]; then
  apt-get update -q >/dev/null 2>&1 || true
  kpkg="$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)"
fi
if [ -z "$kpkg" ]; then
  # Offline with a warm cache: reuse the newest kernel already built.
  kver="$(ls -1 "$cache" 2>/dev/null | grep -E '^[0-9]+\.' | sort -V | tail -n1 || true)"
  [ -n "$kver" ] || { log "cannot resolve linux-image-amd64 and nothing is cached"; exit 1; }
  log "apt cannot resolve linux-image-amd64; reusing cached kernel $kver"
else
  kver="${kpkg#linux-image-}"
fi
kdir="$cache/$kver"
mkdir -p "$kdir"

# --- Kernel package, unpacked. ---------------------------------------------------------------
root="$kdir/root"
if [ ! -f "$root/.complete" ]; then
  log "fetching $kpkg"
  rm -rf "$root" "$kdir/deb"
  mkdir -p "$kdir/deb" "$root"
  (cd "$kdir/deb" && apt-get download "$kpkg" >/dev/null 2>&1) || {
    apt-get update -q >/dev/null 2>&1
    (cd "$kdir/deb" && apt-get download "$kpkg" >/dev/null)
  }
  dpkg-deb -x "$kdir"/deb/*.deb "$root"
  # Debian runs depmod in postinst; the package carries no modules.dep.
  depmod -b "$root" "$kver"
  rm -rf "$kdir/deb"
  touch "$root/.complete"
fi

# --- vmlinux: the ELF inside vmlinuz's xz payload (QEMU boots it through PVH). ---------------
vmlinux="$kdir/vmlinux"
if [ ! -f "$vmlinux" ]; then
  log "extracting vmlinux"
  python3 - "$root/boot/vmlinuz-$kver" "$vmlinux.tmp" <<'PY'
import lzma, sys
blob = open(sys.argv[1], 'rb').read()
magic = b'\xfd7zXZ\x00'
start = 0
while True:
    at = blob.find(magic, start)
    if at < 0:
        sys.exit('no xz payload with an ELF inside found in ' + sys.argv[1])
    try:
        out = lzma.LZMADecompressor().decompress(blob[at:])
    except lzma.LZMAError:
        out = b''
    if out[:4] == b'\x7fELF':
        open(sys.argv[2], 'wb').write(out)
        break
    start = at + 1
PY
  mv "$vmlinux.tmp" "$vmlinux"
fi

# --- Base initramfs: busybox, /init, modules in dependency order. ----------------------------
modules=(virtio_pci virtio_mmio virtio_console virtio_net 9pnet_fd 9pnet_virtio 9p)
inputs_hash="$(cat "$here/init.sh" "$here/build.sh" /bin/busybox | sha256sum | cut -c1-12)"
initrd="$kdir/base-$inputs_hash.cpio.gz"
if [ ! -f "$initrd" ]; then
  log "building base initramfs"
  stage="$(mktemp -d "$kdir/stage.XXXXXX")"
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,host,mnt,run,lib/modules}
  cp /bin/busybox "$stage/bin/busybox"
  for app in $("$stage/bin/busybox" --list); do
    [ -e "$stage/bin/$app" ] || ln -s busybox "$stage/bin/$app"
  done
  : >"$stage/lib/modules/load-order"
  for m in "${modules[@]}"; do
    modprobe -d "$root" -S "$kver" --show-depends "$m" | while read -r kind path _; do
      [ "$kind" = insmod ] || continue            # "builtin NAME" needs nothing
      name="$(basename "$path")"
      name="${name%.xz}"; name="${name%.zst}"; name="${name%.gz}"
      grep -qxF "$name" "$stage/lib/modules/load-order" && continue
      case "$path" in
        *.xz) xz -dc "$path" >"$stage/lib/modules/$name" ;;
        *.zst) zstd -dcq "$path" >"$stage/lib/modules/$name" ;;
        *.gz) gzip -dc "$path" >"$stage/lib/modules/$name" ;;
        *) cp "$path" "$stage/lib/modules/$name" ;;
      esac
      echo "$name" >>"$stage/lib/modules/load-order"
    done
  done
  cp "$here/init.sh" "$stage/init"
  chmod 755 "$stage/init"
  (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n) >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  rm -rf "$stage"
  trap - EXIT
  # Archives from older inputs: drop those unused for a day (a running test may hold a newer one).
  find "$kdir" -maxdepth 1 -name 'base-*.cpio.gz' ! -name "$(basename "$initrd")" -mtime +1 -delete
fi

echo "KVER=$kver"
echo "VMLINUX=$vmlinux"
echo "INITRD=$initrd"
echo "QEMU=$(command -v qemu-system-x86_64)"

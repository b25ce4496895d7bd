#!/usr/bin/env bash
# Lays out the disk image from the customized root: boot files, then genimage (partitions
# from directories; mke2fs -d and mtools, so no loop device and no mount).
# usage: layout.sh ARCH WORK OUT     (called by build.sh)
#
# Partitions, in order (names and UUIDs fixed: the same recipe makes the same layout, and
# `colony update` and hw/disks find them by name):
#   1 boot    FAT: the ESP with systemd-boot (amd64), or the Pi's /boot/firmware (arm64)
#   2 root_a  ext4, read-only at run time: the system as built
#   3 root_b  the other slot, empty until the first update
#   4 colony-data  ext4 /var/lib/colony, small here; grown to fill the card at first boot
set -euo pipefail
arch=$1 work=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
root="$work/root"
. "$here/layout.env"

kver=$(ls "$root/lib/modules" | sort -V | tail -1)
[ -n "$kver" ] || { echo "layout: no kernel in the root" >&2; exit 1; }
# Kernel options shared by both architectures: a read-only root found by partition UUID,
# and nothing that waits for a console that is not there.
common_opts="ro rootwait panic=10 fsck.repair=yes net.ifnames=0"

case $arch in
amd64)
  # The ESP is the root's /efi (genimage takes a partition's files from its mount point).
  esp="$root/efi"
  mkdir -p "$esp/EFI/BOOT" "$esp/EFI/systemd" "$esp/loader/entries" "$esp/a"
  cp "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
  cp "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$esp/EFI/systemd/systemd-bootx64.efi"
  cp "$root/boot/vmlinuz-$kver" "$esp/a/vmlinuz"
  cp "$root/boot/initrd.img-$kver" "$esp/a/initrd.img"
  printf 'default colony-*\ntimeout 0\neditor no\nconsole-mode keep\n' > "$esp/loader/loader.conf"
  # The primary UART (ttyS0) is Colony's serial console; the kernel and systemd talk on the
  # screen and on the second UART, where a developer can watch a boot.
  # sort-key and version (a generation) are how `colony update` (image/update/backend) puts
  # a newer slot first; rauc.slot tells RAUC which slot is booted.
  cat > "$esp/loader/entries/colony-a.conf" <<ENTRY
title    Colony (slot A, $kver)
sort-key colony
version  1
linux    /a/vmlinuz
initrd   /a/initrd.img
options  root=PARTUUID=$ROOT_A_UUID $common_opts console=tty0 console=ttyS1,115200 rauc.slot=A
ENTRY
  cfg="$work/genimage.cfg"
  sed -e "s/@DISK_UUID@/$DISK_UUID/" -e "s/@ESP_UUID@/$ESP_UUID/" -e "s/@ROOT_A_UUID@/$ROOT_A_UUID/" \
      -e "s/@ROOT_B_UUID@/$ROOT_B_UUID/" -e "s/@DATA_UUID@/$DATA_UUID/" -e "s/@ROOT_SIZE@/$ROOT_SIZE/" \
      "$here/genimage-amd64.cfg" > "$cfg"
  ;;
arm64)
  fw="$root/boot/firmware"
  [ -f "$fw/config.txt" ] || { echo "layout: raspi-firmware left no /boot/firmware/config.txt" >&2; exit 1; }
  # The Pi's primary UART (serial0) is Colony's console, so the kernel stays off it.
  echo "console=tty1 root=PARTUUID=$MBR_SIGNATURE-02 $common_opts" > "$fw/cmdline.txt"
  cp "$fw/cmdline.txt" "$work/cmdline-arm64.txt"
  grep -q '^enable_uart=1' "$fw/config.txt" || printf '\n# Colony: the serial console on GPIO 14/15\nenable_uart=1\n' >> "$fw/config.txt"
  # QEMU's virt machine (the CI stand-in for a Pi) boots the same kernel and initrd directly.
  cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz-arm64"
  cp "$root/boot/initrd.img-$kver" "$work/initrd-arm64.img"
  cfg="$work/genimage.cfg"
  sed -e "s/@MBR_SIGNATURE@/0x$MBR_SIGNATURE/" -e "s/@ROOT_SIZE@/$ROOT_SIZE/" "$here/genimage-arm64.cfg" > "$cfg"
  ;;
esac

used=$(du -sm --exclude=./efi --exclude=./boot/firmware "$root" | cut -f1)
limit=${ROOT_SIZE%M}
[ "$used" -lt $((limit * 9 / 10)) ] || { echo "layout: the root is ${used} MiB, too close to its ${ROOT_SIZE} slot" >&2; exit 1; }

rm -rf "$work/genimage-tmp" "$work/images"
genimage --config "$cfg" --rootpath "$root" --tmppath "$work/genimage-tmp" \
  --inputpath "$work/images" --outputpath "$work/images" >"$work/genimage.log" 2>&1 \
  || { tail -30 "$work/genimage.log" >&2; exit 1; }
mv "$work/images/colony-$arch.img" "$out/colony-$arch.img"
[ "$arch" = arm64 ] && mv "$work/vmlinuz-arm64" "$work/initrd-arm64.img" "$work/cmdline-arm64.txt" "$out/"
rm -rf "$work/genimage-tmp" "$work/images"
echo "$kver" > "$out/colony-$arch.kernel"

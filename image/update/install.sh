# The update system in the customized root (sourced by build.sh): RAUC's system.conf and
# keyring, the bootloader backend (systemd-boot on amd64, the Pi firmware's tryboot on
# arm64), the health gate and the commit unit.
# usage: update_install_root ROOT ARCH CERT
update_install_root() {
  local root=$1 arch=$2 cert=$3 u
  u=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  . "$u/../layout.env"
  mkdir -p "$root/etc/rauc" "$root/usr/lib/colony/update" \
    "$root/etc/systemd/system.conf.d" "$root/etc/tmpfiles.d"
  if [ "$arch" = arm64 ]; then
    # MBR: a partition's PARTUUID is the disk signature and its number.
    sed -e "s/@ARCH@/$arch/" -e "s/@ROOT_A_UUID@/$MBR_SIGNATURE-02/" -e "s/@ROOT_B_UUID@/$MBR_SIGNATURE-03/" \
      -e "s|^bootloader-custom-backend=.*|bootloader-custom-backend=/usr/lib/colony/update/backend-pi|" \
      -e "s|systemd-boot with boot counting|the Pi firmware's tryboot|; s|image/update/backend\.|image/update/backend-pi.|; s|(amd64)|(Raspberry Pi)|" \
      "$u/system.conf.in" > "$root/etc/rauc/system.conf"
    install -m 0755 "$u/backend-pi" "$root/usr/lib/colony/update/"
    pi_boot_slots "$root" "$u"
  else
    sed -e "s/@ARCH@/$arch/" -e "s/@ROOT_A_UUID@/$ROOT_A_UUID/" -e "s/@ROOT_B_UUID@/$ROOT_B_UUID/" \
      "$u/system.conf.in" > "$root/etc/rauc/system.conf"
  fi
  # Only the public certificate: bundles are signed with a key the operator keeps.
  install -m 0644 "$cert" "$root/etc/rauc/keyring.pem"
  install -m 0755 "$u/backend" "$u/boot-check" "$root/usr/lib/colony/update/"
  install -m 0644 "$u/../layout.env" "$root/usr/lib/colony/update/layout.env"
  install -m 0644 "$u/colony-boot-check.service" "$u/colony-update-commit.service" "$root/etc/systemd/system/"
  # A hung boot (PID 1 stuck) resets the machine when it has a hardware watchdog.
  printf '[Manager]\nRuntimeWatchdogSec=60s\nRebootWatchdogSec=5min\n' > "$root/etc/systemd/system.conf.d/colony-watchdog.conf"
  # RAUC's status file and uploaded bundles live on the data partition.
  echo 'd /var/lib/colony/update 0700 root root -' > "$root/etc/tmpfiles.d/colony-update.conf"
  systemctl --root="$root" enable colony-boot-check.service colony-update-commit.service >/dev/null 2>&1
}

# The Pi's boot partition for tryboot A/B: the firmware stays at the top, the kernel,
# initramfs, device trees and cmdline.txt of slot A move to slot-a/, and config.txt boots
# it through os_prefix (tryboot.txt, written by an update, boots slot-b/ once). The
# firmware ignores an os_prefix whose kernel or .dtb is missing, so nothing is left at the
# top for it to fall back to. The kernel options are layout.sh's (its common_opts).
# usage: pi_boot_slots ROOT UPDATE_DIR
pi_boot_slots() {
  local root=$1 u=$2 fw=$1/boot/firmware kver opts
  kver=$(ls "$root/lib/modules" | sort -V | tail -1)
  opts=$(sed -n 's/^common_opts="\(.*\)"$/\1/p' "$u/../layout.sh")
  [ -n "$opts" ] && [ -f "$fw/vmlinuz-$kver" ] && [ -f "$fw/initrd.img-$kver" ] && [ -f "$fw/config.txt" ] \
    || { echo "image: /boot/firmware has no kernel $kver, initrd or config.txt (or layout.sh no common_opts)" >&2; return 1; }
  mkdir -p "$fw/slot-a" "$fw/slot-b"
  mv "$fw/vmlinuz-$kver" "$fw/slot-a/vmlinuz"
  mv "$fw/initrd.img-$kver" "$fw/slot-a/initrd.img"
  mv "$fw"/*.dtb "$fw/slot-a/"
  [ ! -d "$fw/overlays" ] || mv "$fw/overlays" "$fw/slot-a/"
  # The same line layout.sh writes to the top-level cmdline.txt (unused with os_prefix), plus
  # the slot for RAUC.
  echo "console=tty1 root=PARTUUID=$MBR_SIGNATURE-02 $opts rauc.slot=A" > "$fw/slot-a/cmdline.txt"
  sed -i -e "s/^kernel=vmlinuz-$kver\$/kernel=vmlinuz/" -e "s/^initramfs initrd\.img-$kver/initramfs initrd.img/" -e '/^os_prefix=/d' "$fw/config.txt"
  grep -q '^enable_uart=1' "$fw/config.txt" || printf '\n# Colony: the serial console on GPIO 14/15\nenable_uart=1\n' >> "$fw/config.txt"
  printf '\n# Colony: the committed slot (image/update/backend-pi rewrites this line)\nos_prefix=slot-a/\n' >> "$fw/config.txt"
}

# The image's system settings, applied offline to the unpacked root (sourced by build.sh).
# usage: customize_root ROOT ARCH
customize_root() {
  local root=$1 arch=$2
  local enable=(systemd-networkd systemd-resolved systemd-timesyncd avahi-daemon
    colony colony-grow colony-hostname)
  systemctl --root="$root" enable "${enable[@]}" >/dev/null 2>&1
  # The serial console is Colony's (hw/serial picks the first UART that is not the kernel's
  # console): no getty on any serial line, including the one systemd would add for console=.
  ln -sf /dev/null "$root/etc/systemd/system/serial-getty@.service"
  # Nothing listens that the operator did not ask for: networkd's wait-online would only
  # delay boot on a board without a cable.
  systemctl --root="$root" disable systemd-networkd-wait-online.service >/dev/null 2>&1 || true
  # A read-only root: systemd makes a machine id in RAM at each boot when the file is empty.
  : > "$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  ln -sf ../../../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
  mkdir -p "$root/var/lib/colony" "$root/efi"
  chmod 0700 "$root/var/lib/colony"
  # Reproducible: nothing in the root depends on the build host's clock or name.
  rm -rf "$root/var/cache/apt/"* "$root/var/lib/apt/lists/"* "$root/var/log/"* "$root/tmp/"*
  # Release facts for `colony update` and the status page.
  printf 'COLONY_ARCH=%s\nCOLONY_COMMIT=%s\nCOLONY_BUILT=%s\n' "$arch" \
    "$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$root/etc/colony/release"
}

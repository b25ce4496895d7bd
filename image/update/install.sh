# The update system in the customized root (sourced by build.sh, amd64 only): RAUC's
# system.conf and keyring, the systemd-boot backend, the health gate and the commit unit.
# usage: update_install_root ROOT ARCH CERT
update_install_root() {
  local root=$1 arch=$2 cert=$3 u
  u=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  . "$u/../layout.env"
  mkdir -p "$root/etc/rauc" "$root/usr/lib/colony/update" \
    "$root/etc/systemd/system.conf.d" "$root/etc/tmpfiles.d"
  sed -e "s/@ARCH@/$arch/" -e "s/@ROOT_A_UUID@/$ROOT_A_UUID/" -e "s/@ROOT_B_UUID@/$ROOT_B_UUID/" \
    "$u/system.conf.in" > "$root/etc/rauc/system.conf"
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

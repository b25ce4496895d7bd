# The Debian packages in the image, by architecture (sourced by build.sh; part of the root
# filesystem's cache key). Each earns its place:
packages_for() {
  local common=(
    systemd systemd-sysv udev dbus          # init, devices, the bus avahi and Colony talk on
    systemd-resolved systemd-timesyncd      # DNS for networkd's DHCP leases; the clock (no RTC on a Pi)
    avahi-daemon                            # mDNS: Colony publishes _colony._tcp through it
    iproute2 kmod                           # ip; modprobe of the LED triggers
    util-linux fdisk cloud-guest-utils e2fsprogs  # lsblk/findmnt/partx, sfdisk, growpart, resize2fs: hw/disks
    bubblewrap                              # cpu: environments' processes
    python3-libgpiod                        # a bare GPIO status LED (hw/leds)
    libstdc++6 ca-certificates initramfs-tools zstd
  )
  case $1 in
    amd64) printf '%s\n' "${common[@]}" linux-image-amd64 systemd-boot-efi ;;
    arm64) printf '%s\n' "${common[@]}" linux-image-arm64 raspi-firmware firmware-brcm80211 ;;
  esac
}

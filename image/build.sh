#!/usr/bin/env bash
# Builds the flashable appliance image: `npm run image -- --arch amd64|arm64 [--out DIR]`;
# with `--bundle` also a signed RAUC update bundle of it for `colony update`.
#
# Three layers, each cached by what it is made from, so a rebuild after a code change only
# redoes the last one (about a minute):
#   1. the Debian root filesystem (mmdebstrap, minbase), keyed by the package list and the
#      files that shape it (packages.sh, this script's stage-1 hooks);
#   2. Node.js from the npm registry's node-linux-<cpu> package, keyed by its version;
#   3. the project (built here, installed with production dependencies for the target cpu),
#      the overlay in rootfs/, and the disk layout (genimage): no loop device, no mount.
# Needs root (mmdebstrap --mode=root and mke2fs -d keep ownership). Run as root on Debian 12.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

arch=amd64
out="$repo/build/image"
bundle=0 signing_key="" signing_cert=""
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --bundle) bundle=1; shift ;;
    --signing-key) signing_key=$(realpath "$2"); shift 2 ;;
    --signing-cert) signing_cert=$(realpath "$2"); shift 2 ;;
    -h|--help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      echo "options: --arch amd64|arm64 (default amd64), --out DIR (default build/image)"
      echo "  --signing-cert CERT   the certificate the image trusts for updates (/etc/rauc/keyring.pem)"
      echo "  --bundle --signing-key KEY --signing-cert CERT   also write colony-ARCH.raucb"
      echo "  without --signing-cert: a development key in the cache (never for a real machine)"
      echo "cache: \$COLONY_IMAGE_CACHE (default ~/.cache/colony-image)"
      exit 0 ;;
    *) echo "image: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $arch in amd64) cpu=x64 ;; arm64) cpu=arm64 ;; *) echo "image: --arch is amd64 or arm64, not $arch" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "image: run as root (mmdebstrap --mode=root and mke2fs -d keep file owners)" >&2; exit 1; }

# shellcheck source=packages.sh
. "$here/packages.sh"
# shellcheck source=update/packages.sh
. "$here/update/packages.sh"
cache=${COLONY_IMAGE_CACHE:-$HOME/.cache/colony-image}
mkdir -p "$cache" "$out"
log() { printf '%s image: %s\n' "$(date +%T)" "$*" >&2; }

host_tools=(mmdebstrap genimage mtools dosfstools e2fsprogs zstd)
host_tools+=(openssl)
[ "$bundle" = 1 ] && host_tools+=(rauc squashfs-tools)
[ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ] && host_tools+=(qemu-user-static binfmt-support arch-test)
"$repo/scripts/ensure-apt.sh" "${host_tools[@]}"
if [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
  # binfmt_misc is not mounted at boot on every host; qemu-user-static registers through it.
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
fi

# ---- 1. the Debian root filesystem -------------------------------------------------------
stage1_key=$( { cat "$here/packages.sh"; sed -n '/^# stage-1 begin/,/^# stage-1 end/p' "$0"; echo "$arch"; update_packages_for "$arch"; } | sha256sum | cut -c1-16)
rootfs_tar="$cache/rootfs-$arch-$stage1_key.tar"
# stage-1 begin
if [ ! -s "$rootfs_tar" ]; then
  log "debian root filesystem ($arch): mmdebstrap, a few minutes (cached as $(basename "$rootfs_tar"))"
  pkgs=$(packages_for "$arch" | paste -sd, -)
  components=main
  [ "$arch" = arm64 ] && components="main non-free-firmware"
  # Set before the kernel is installed: the initramfs is generated once, with our module
  # list (MODULES=most under emulation took 14 minutes a run); raspi-firmware's hook writes
  # config.txt and cmdline.txt from /etc/default/raspi-firmware even in a chroot. dpkg keeps
  # those files (force-confold) instead of asking.
  mmdebstrap --mode=root --variant=minbase --arch="$arch" --components="$components" \
    --include="$pkgs" --aptopt='Acquire::Retries "3"' --dpkgopt=force-confold --dpkgopt=force-confdef --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --setup-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/default"' \
    --setup-hook="cp '$here/initramfs/modules-$arch' \"\$1/etc/initramfs-tools/modules\"" \
    --setup-hook='printf "MODULES=list\nCOMPRESS=zstd\n" > "$1/etc/initramfs-tools/conf.d/colony"' \
    --setup-hook='printf "CONSOLES=\"tty1\"\nROOTPART=\"PARTLABEL=root_a\"\n" > "$1/etc/default/raspi-firmware"' \
    --format=tar bookworm "$rootfs_tar.tmp" \
    "deb http://deb.debian.org/debian bookworm $components" \
    "deb http://deb.debian.org/debian bookworm-updates $components" \
    "deb http://deb.debian.org/debian-security bookworm-security $components"
  mv "$rootfs_tar.tmp" "$rootfs_tar"
fi
# stage-1 end

# ---- 2. Node.js --------------------------------------------------------------------------
node_version=${COLONY_IMAGE_NODE:-24.22.3}
node_tgz="$cache/node-linux-$cpu-$node_version.tgz"
if [ ! -s "$node_tgz" ]; then
  log "node $node_version for linux-$cpu from the npm registry"
  (cd "$cache" && npm pack --silent "node-linux-$cpu@$node_version" >/dev/null)
  [ -s "$node_tgz" ] || { echo "image: npm pack node-linux-$cpu@$node_version made no $node_tgz" >&2; exit 1; }
fi

# ---- signing: the image trusts one certificate; the operator keeps its key ---------------
. "$here/update/signing.sh"
signing_setup

# ---- 3. the root, the project, the disk layout ------------------------------------------
# The whole image is keyed too: the layers above, and the project's tracked files as they
# are now (committed or not), so a rerun on an unchanged tree returns at once.
image_key=$( { echo "$stage1_key $node_version $arch ${signing_cert:+$(sha256sum < "$signing_cert")}"; git -C "$repo" rev-parse 'HEAD^{tree}' 2>/dev/null || date +%s%N;
  git -C "$repo" diff HEAD 2>/dev/null; } | sha256sum | cut -c1-16)
if [ -s "$out/colony-$arch.img" ] && [ "$(cat "$out/colony-$arch.key" 2>/dev/null)" = "$image_key" ] && [ -z "${COLONY_IMAGE_REBUILD:-}" ]; then
  log "$out/colony-$arch.img is up to date (key $image_key; COLONY_IMAGE_REBUILD=1 rebuilds)"
  [ $bundle = 0 ] || make_bundle
  exit 0
fi
rm -f "$out/colony-$arch.key"
work="$out/work-$arch"
rm -rf "$work"
mkdir -p "$work/root" "$work/boot" "$work/data" "$work/app" "$work/tmp"
log "unpacking the root filesystem"
tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$rootfs_tar" -C "$work/root"

log "node $node_version into /usr/lib/colony-node"
mkdir -p "$work/root/usr/lib/colony-node"
tar -xzf "$node_tgz" -C "$work/root/usr/lib/colony-node" --strip-components=1
chmod 0755 "$work/root/usr/lib/colony-node/bin/node"
ln -sf ../lib/colony-node/bin/node "$work/root/usr/bin/node"

log "the project: build, then production dependencies for linux-$cpu"
(cd "$repo" && npm run --silent build)
app="$work/app/colony"
mkdir -p "$app"
cp -a "$repo/bin" "$repo/dist" "$repo/docs" "$repo/README.md" "$repo/package-lock.json" "$app/"
rm -f "$app/dist/.tsbuildinfo"
# The install must not run the project's own prepare (a TypeScript build): drop the scripts.
node -e 'const p=require(process.argv[1]); delete p.scripts; require("fs").writeFileSync(process.argv[2], JSON.stringify(p,null,2)+"\n")' \
  "$repo/package.json" "$app/package.json"
(cd "$app" && npm ci --silent --omit=dev --ignore-scripts --no-audit --no-fund --os=linux --cpu="$cpu")
if [ "$cpu" = x64 ] && [ "$(uname -m)" = x86_64 ]; then
  # blake3's native binding (N-API: one build serves every Node version); without it the
  # store hashes through WebAssembly, slower but correct (the arm64 image, built here by
  # emulation, does that).
  (cd "$app" && npm rebuild --silent @c4312/blake3-native >/dev/null 2>&1) || log "blake3 native binding not built: WebAssembly hashing"
fi
rm -rf "$work/root/opt/colony"
mkdir -p "$work/root/opt"
cp -a "$app" "$work/root/opt/colony"
ln -sf /opt/colony/bin/colony.js "$work/root/usr/bin/colony"

log "overlay, units, users"
cp -a "$here/rootfs/." "$work/root/"
cp -a "$here/etc/colony" "$work/root/etc/"
cp "$here"/systemd/*.service "$work/root/etc/systemd/system/"
. "$here/customize.sh"
customize_root "$work/root" "$arch"
. "$here/update/install.sh"
update_install_root "$work/root" "$arch" "$signing_cert"

log "disk layout ($arch)"
"$here/layout.sh" "$arch" "$work" "$out"
echo "$image_key" > "$out/colony-$arch.key"
rm -rf "$work"
log "done: $out/colony-$arch.img"
[ $bundle = 0 ] || make_bundle

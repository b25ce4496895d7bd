#!/usr/bin/env bash
# Makes a signed RAUC bundle (plain format) of a built image's root: the root_a partition
# as it is in the image (its /boot holds the kernel and initrd the backend puts on the ESP).
# usage: bundle.sh --image IMG --arch ARCH --key KEY --cert CERT --out FILE [--test-broken-service]
#   --test-broken-service  (tests only) the bundle's colony.service exits at once, so its
#                          root never becomes ready: a trial boot that must roll back.
set -euo pipefail
image="" arch=amd64 key="" cert="" out="" broken=0
while [ $# -gt 0 ]; do
  case $1 in
    --image) image=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --key) key=$2; shift 2 ;;
    --cert) cert=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --test-broken-service) broken=1; shift ;;
    *) echo "bundle: unknown option $1" >&2; exit 2 ;;
  esac
done
for f in "$image" "$key" "$cert"; do [ -s "$f" ] || { echo "bundle: missing file '$f' (--image, --key, --cert)" >&2; exit 2; }; done
[ -n "$out" ] || { echo "bundle: --out FILE" >&2; exit 2; }
command -v rauc >/dev/null && command -v mksquashfs >/dev/null || {
  echo "bundle: needs rauc and squashfs-tools (scripts/ensure-apt.sh rauc squashfs-tools)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/colony-bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/content"
# Partition 2 (root_a), found by number in the image's GPT.
read -r start size < <(sfdisk -J "$image" | node -e '
  const p = JSON.parse(require("fs").readFileSync(0, "utf8")).partitiontable.partitions[1];
  console.log(p.start, p.size);')
dd if="$image" of="$work/content/root.ext4" bs=4M iflag=skip_bytes,count_bytes conv=sparse status=none \
  skip=$((start * 512)) count=$((size * 512))
if [ $broken = 1 ]; then
  printf '[Unit]\nDescription=Colony (a broken test build)\n[Service]\nExecStart=/bin/false\n[Install]\nWantedBy=multi-user.target\n' > "$work/colony.service"
  debugfs -w -R 'rm /etc/systemd/system/colony.service' "$work/content/root.ext4" >/dev/null 2>&1
  debugfs -w -R "write $work/colony.service /etc/systemd/system/colony.service" "$work/content/root.ext4" >/dev/null 2>&1
  debugfs -R 'cat /etc/systemd/system/colony.service' "$work/content/root.ext4" 2>/dev/null | grep -q /bin/false \
    || { echo "bundle: could not break colony.service in the test root" >&2; exit 1; }
fi
release=$(debugfs -R 'cat /etc/colony/release' "$work/content/root.ext4" 2>/dev/null)
commit=$(sed -n 's/^COLONY_COMMIT=//p' <<<"$release")
built=$(sed -n 's/^COLONY_BUILT=//p' <<<"$release")
cat > "$work/content/manifest.raucm" <<MANIFEST
[update]
compatible=colony-$arch
version=${commit:-unknown}${broken:+$([ $broken = 1 ] && echo -broken)}
description=Colony $arch root, commit ${commit:-unknown}, built ${built:-unknown}

[bundle]
format=plain

[image.rootfs]
filename=root.ext4
MANIFEST
rm -f "$out"
rauc bundle --cert="$cert" --key="$key" --mksquashfs-args='-comp zstd -Xcompression-level 6' "$work/content" "$out" >&2

#!/usr/bin/env bash
# Installs the named Debian packages if any is missing. Tests and benches call this so a
# fresh machine (and CI) gets what they need from Debian, never by hand.
# usage: scripts/ensure-apt.sh PKG...
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
# Serialise concurrent callers (parallel test files) on one lock.
exec 9>/tmp/colony-apt.lock
flock 9
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -q >/dev/null 2>&1
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

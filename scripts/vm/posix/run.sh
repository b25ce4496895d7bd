#!/bin/bash
# The POSIX checklist: errno and semantics checks that every 9P server (diod, Colony) runs
# through the real Linux client. Runs in the guest (cwd: the mount under test) and prints TAP:
# `ok N - name`, `not ok N - name # want X, got Y`, the plan last, then a summary comment.
# usage: run.sh [SECTION...]   sections are the NN-*.sh files here, by name (rename, open, ...)
# Expected values come from POSIX and the Linux man pages; a check notes where they differ.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"
umask 022
# The mount's root (where the groups section adds to etc/passwd and etc/group).
posix_root="${POSIX_ROOT:-$PWD}"
scratch="$PWD/posix.$$"
mkdir -p "$scratch" || { echo "Bail out! cannot create $scratch"; exit 1; }
start_servers
for f in "$here"/[0-9][0-9]-*.sh; do
  name="$(basename "$f" .sh)"; name="${name#[0-9][0-9]-}"
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  # shellcheck disable=SC1090
  . "$f"
  cd "$scratch" || exit 1
done
stop_servers
cd / && rm -rf "$scratch"
echo "1..$n"
echo "# posix: pass $pass fail $fail todo $todo of $n"
for f in "${failed[@]}"; do echo "# failed: $f"; done
[ "$fail" = 0 ]

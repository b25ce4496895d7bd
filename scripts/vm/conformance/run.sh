#!/bin/bash
# The conformance suites (fio, dbench, stress-ng) against the filesystem at the cwd (in the
# guest: a 9P mount). Prints TAP: `ok N - name`, `not ok N - name # detail`,
# `ok N - name # SKIP reason`, the plan last, then a summary comment.
# usage: run.sh [SUITE...]      suites: fio dbench stress (default: all three, in that order)
# env:   CONFORMANCE=full       the long run (bigger files, longer times, more stressors)
#        CONFORMANCE_LOGS=DIR   where each check's tool output goes (default /tmp/conformance-logs)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"
full=0; [ "${CONFORMANCE:-quick}" = full ] && full=1
logs="${CONFORMANCE_LOGS:-/tmp/conformance-logs}"
mkdir -p "$logs" || { echo "Bail out! cannot create $logs"; exit 1; }
umask 022
scratch="$PWD/conformance.$$"
mkdir -p "$scratch" || { echo "Bail out! cannot create $scratch"; exit 1; }
suites=("$@"); [ ${#suites[@]} -gt 0 ] || suites=(fio dbench stress)
t0=$(date +%s)
for s in "${suites[@]}"; do
  case "$s" in
    fio|dbench|stress) ;;
    *) echo "Bail out! unknown suite $s (fio, dbench, stress)"; exit 1 ;;
  esac
  # shellcheck disable=SC1090
  . "$here/$s.sh"
  ts=$(date +%s)
  "${s}_suite"
  echo "# suite $s took $(( $(date +%s) - ts )) s"
done
cd / && drop_dir "$scratch"
echo "1..$n"
echo "# conformance ($([ $full = 1 ] && echo full || echo quick)) on $(stat -f -c %T "$OLDPWD" 2>/dev/null || echo ?): pass $pass fail $fail skip $skip of $n in $(( $(date +%s) - t0 )) s"
for f in "${failed[@]}"; do echo "# failed: $f"; done
[ "$fail" = 0 ]

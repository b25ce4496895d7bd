#!/bin/bash
# Suite `dbench`: the NetBench-style client load that Debian ships (/usr/share/dbench/client.txt),
# replayed for a bounded time. dbench checks the status of every operation against the one
# recorded in the load file and prints a line for each mismatch. A run passes when dbench exits
# 0, prints its final Throughput line, and prints no line with "fail", "error" or "warning"
# (except its harmless "failed to create barrier semaphore", which concerns SysV IPC, not the
# filesystem). Sourced by run.sh.

dbench_load=/usr/share/dbench/client.txt
if [ "$full" = 1 ]; then
  # name | dbench options
  dbench_runs=(
    "2 clients 120 s|-t 120 2"
    "4 clients 120 s, fsync on write|-t 120 -F 4"
    "2 clients 60 s, xattrs|-t 60 -x 2"
  )
else
  dbench_runs=("2 clients 20 s|-t 20 2")
fi

dbench_suite() {
  local spec name args d log tag rc secs bad
  for spec in "${dbench_runs[@]}"; do
    name="dbench $dbench_load ${spec%%|*}"; args="${spec#*|}"
    tag="dbench-${spec%%|*}"; tag="${tag//[^a-zA-Z0-9]/_}"
    log="$logs/$tag.log"
    if [ ! -r "$dbench_load" ]; then skip_check "$name" "$dbench_load is missing (apt-get install dbench)"; continue; fi
    if ! d="$(fresh_dir "$tag")"; then not_ok "$name" "cannot create the run directory"; continue; fi
    secs="$(sed -E 's/.*-t ([0-9]+).*/\1/' <<<"$args")"
    # The clean-up at the end deletes every client's tree: allow for a slow server.
    # shellcheck disable=SC2086
    bounded $((secs * 3 + 300)) "$log" dbench -c "$dbench_load" -D "$d" $args
    rc=$?
    bad="$(grep -v 'failed to create barrier semaphore' "$log" | grep -m1 -iE 'fail|error|warning')"
    if [ $rc = 0 ] && [ -z "$bad" ] && grep -q '^Throughput' "$log"; then
      ok "$name" "$(grep -m1 '^Throughput' "$log" | cut -c1-80)"
    else
      not_ok "$name" "rc=$rc ${bad:-$(tail -n 1 "$log")}"
      grep -v 'failed to create barrier semaphore' "$log" | grep -iE 'fail|error|warning' | head -n 5 | cut -c1-200 | sed 's/^/#   /'
      show_tail "$log" 4
    fi
    drop_dir "$d"
  done
}

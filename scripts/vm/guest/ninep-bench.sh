#!/bin/bash
# 9P throughput and metadata rates through the Linux client, for each mounted directory named
# (e.g. /mnt and /tmp/ref, so two servers are measured in one VM with the same data).
# usage: ninep-bench.sh LABEL=DIR...
#   SEQ_MIB=256     size of the sequential file (the guest needs about this much RAM extra)
#   FILES=10000     files created, stat'ed and unlinked
#   TREE=20000      entries in the tree listed with ls -lR (directories of 200 files)
#   READS=1        rounds of sequential reads (each round reads every server's file once)
#   FILES=0 and TREE=0 skip the metadata workload (sequential write and read only).
# Prints one line a measurement: `bench LABEL PHASE ops=N bytes=B secs=S` (reads add round=R).
set -euo pipefail
seq_mib="${SEQ_MIB:-256}"
files="${FILES:-10000}"
tree="${TREE:-20000}"
reads="${READS:-1}"
now() { date +%s%N; }
secs() { echo "$1 $2" | awk '{ printf "%.3f", ($2 - $1) / 1e9 }'; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# The same bytes for every server, random so that no server can compress or deduplicate them.
head -c "$((seq_mib * 1024 * 1024))" /dev/urandom >/tmp/bench-src

# Writes one server after the other, then reads in rounds that alternate between the servers,
# so a busy moment of the host falls on both rather than on one.
for spec in "$@"; do
  label="${spec%%=*}"; dir="${spec#*=}/bench.$$"
  mkdir -p "$dir"
  drop
  t0=$(now); dd if=/tmp/bench-src of="$dir/seq" bs=1M conv=fsync status=none; t1=$(now)
  echo "bench $label seq-write ops=$seq_mib bytes=$((seq_mib * 1048576)) secs=$(secs "$t0" "$t1")"
done
for ((round = 1; round <= reads; round++)); do
  for spec in "$@"; do
    label="${spec%%=*}"; dir="${spec#*=}/bench.$$"
    drop
    t0=$(now); dd if="$dir/seq" of=/dev/null bs=1M status=none; t1=$(now)
    echo "bench $label seq-read ops=$seq_mib bytes=$((seq_mib * 1048576)) secs=$(secs "$t0" "$t1") round=$round"
  done
done

for spec in "$@"; do
  label="${spec%%=*}"; dir="${spec#*=}/bench.$$"
  cmp /tmp/bench-src "$dir/seq"
  rm -f "$dir/seq"
  if [ "$files" = 0 ] && [ "$tree" = 0 ]; then rm -rf "$dir"; continue; fi

  mkdir "$dir/meta"
  perl -MTime::HiRes=time -e '
    my ($d, $n, $label) = @ARGV;
    my $t = time; for my $i (1 .. $n) { open(my $fh, ">", "$d/f$i") or die "create: $!"; close $fh }
    printf "bench %s create ops=%d bytes=0 secs=%.3f\n", $label, $n, time - $t;
    $t = time; for my $i (1 .. $n) { my @s = stat("$d/f$i") or die "stat: $!" }
    printf "bench %s stat ops=%d bytes=0 secs=%.3f\n", $label, $n, time - $t;
    $t = time; for my $i (1 .. $n) { unlink("$d/f$i") or die "unlink: $!" }
    printf "bench %s unlink ops=%d bytes=0 secs=%.3f\n", $label, $n, time - $t;
  ' "$dir/meta" "$files" "$label"

  mkdir "$dir/tree"
  perl -e '
    my ($d, $n) = @ARGV; my $per = 200;
    for my $i (0 .. $n - 1) {
      my $sub = "$d/d" . int($i / $per);
      mkdir $sub unless -d $sub;
      open(my $fh, ">", "$sub/f$i") or die "create: $!"; close $fh;
    }
  ' "$dir/tree" "$tree"
  drop
  t0=$(now); entries=$(ls -lR "$dir/tree" | wc -l); t1=$(now)
  echo "bench $label ls-lR ops=$tree bytes=0 secs=$(secs "$t0" "$t1") lines=$entries"
  rm -rf "$dir"
done

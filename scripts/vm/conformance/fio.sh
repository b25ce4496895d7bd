#!/bin/bash
# Suite `fio`: data integrity under sequential, random and mixed I/O. Every job writes with a
# checksum header in each block (verify=crc32c or stronger) and reads everything back; a job
# passes when fio exits 0 and its log shows no verify error and no job error (err=0).
# Sourced by run.sh: uses $scratch, $logs, $full and the helpers in lib.sh.

if [ "$full" = 1 ]; then
  fio_size=64m; fio_small=16m; fio_runtime=300
else
  fio_size=8m; fio_small=4m; fio_runtime=90
fi

# name | fio options (the file name, size and verify settings are added)
fio_jobs=(
  "seq-write crc32c|--rw=write --bs=64k --verify=crc32c --size=$fio_size"
  "seq-readwrite crc32c|--rw=rw --rwmixread=50 --bs=16k --verify=crc32c --size=$fio_size"
  "rand-write crc32c|--rw=randwrite --bs=4k --verify=crc32c --size=$fio_small"
  "rand-readwrite crc32c|--rw=randrw --rwmixread=50 --bs=4k --verify=crc32c --size=$fio_small"
)
if [ "$full" = 1 ]; then
  fio_jobs+=(
    "seq-write sha256 1m blocks|--rw=write --bs=1m --verify=sha256 --size=$fio_size"
    "seq-write crc32c odd block size|--rw=write --bs=12k --verify=crc32c --size=$fio_small"
    "rand-write crc32c mixed block sizes|--rw=randwrite --bsrange=512-64k --verify=crc32c --size=$fio_small"
    "rand-readwrite crc32c with fsync|--rw=randrw --rwmixread=30 --bs=8k --fsync=16 --verify=crc32c --size=$fio_small"
    "rand-write crc32c verify backlog|--rw=randwrite --bs=4k --verify=crc32c --verify_backlog=64 --size=$fio_small"
    "rand-readwrite md5 4 jobs|--rw=randrw --rwmixread=50 --bs=4k --verify=md5 --numjobs=4 --size=$fio_small"
    "rand-write crc32c 8 files|--rw=randwrite --bs=4k --verify=crc32c --nrfiles=8 --size=$fio_small"
    "seq-write xxhash overwrite pass|--rw=write --bs=32k --verify=xxhash --loops=2 --size=$fio_small"
    "rand-write crc32c mmap engine|--rw=randwrite --bs=4k --verify=crc32c --ioengine=mmap --size=$fio_small"
  )
fi

fio_suite() {
  local spec name args d log tag rc bad
  for spec in "${fio_jobs[@]}"; do
    name="${spec%%|*}"; args="${spec#*|}"
    tag="fio-${name//[^a-zA-Z0-9]/_}"
    log="$logs/$tag.log"
    # v9fs maps a cache=none file read-only (no writable shared mmap): the mmap engine needs
    # cache=mmap, loose or fscache, which 6.1 shows in the options as a bare word ("loose").
    if [[ "$args" == *--ioengine=mmap* ]] && ! findmnt -n -o OPTIONS -T "$scratch" | grep -qE '(^|,)(cache=)?(mmap|loose|fscache)(,|$)'; then
      check_t0=$(date +%s)
      skip_check "fio $name" "the mount has cache=none, where v9fs allows no writable shared mmap"
      continue
    fi
    if ! d="$(fresh_dir "$tag")"; then not_ok "fio $name" "cannot create the job directory"; continue; fi
    # --directory and the job name keep every file inside $d. verify_fatal stops at the first
    # bad block; no verify state file is left in the cwd; the psync engine unless the job names
    # another.
    # shellcheck disable=SC2086
    bounded $((fio_runtime + 240)) "$log" fio --name=job --directory="$d" --ioengine=psync \
      --verify_fatal=1 --verify_dump=0 --verify_state_save=0 --runtime="$fio_runtime" --time_based=0 \
      --group_reporting $args
    rc=$?
    bad="$(grep -m1 -E 'verify: bad|verify failed|bad magic|bad header|err= *[1-9-]|fio: (pid|io_u error|io error)' "$log")"
    if [ $rc = 0 ] && [ -z "$bad" ]; then
      ok "fio $name"
    else
      not_ok "fio $name" "rc=$rc ${bad:-$(first_match "$log" 'error|fail')}"
      show_tail "$log"
    fi
    drop_dir "$d"
  done
}

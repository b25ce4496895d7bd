# The xcpu and proc checks (sourced by test/system/vm-cpu-shell.test.ts's script after
# cpu-shell.sh, so `work` runs and bob is invited): the guest kernel's v9fs mounts `cpu/work`
# and `proc` from the supervisor's own unix socket, and plain shell file operations drive them.
# Prints TAP lines.
W=$CPU_DIR/w
X=$CPU_DIR/xcpu
mkdir -p "$X" "$CPU_DIR/proc-alice" "$CPU_DIR/proc-carol"
m9() { mount -t 9p -o "trans=unix,version=9p2000.L,access=any,cache=none,aname=$1,uname=$2" "$DATA/9p.sock" "$3"; }

if m9 cpu/work alice "$X" 2>"$W/m.err"; then ok "mount -t 9p … aname=cpu/work,uname=alice"; else nok "mount -t 9p … aname=cpu/work,uname=alice" "$(cat "$W/m.err")"; fi
exec 7<>"$X/clone"
read -r n <&7
expect_match "opening clone gives a session number" "$n" '^[0-9]+$'
# ctl words use Plan 9 quoting: '…' quotes, and double quotes are plain characters.
echo "exec /bin/sh -c 'echo out-\$((6*7)); echo err >&2; hostname; exit 5'" >"$X/$n/ctl"
expect_eq "N/stdout has the command's output" "$(cat "$X/$n/stdout")" $'out-42\nwork'
expect_eq "N/stderr has its stderr" "$(cat "$X/$n/stderr")" err
expect_match "N/wait gives the exit status" "$(cat "$X/$n/wait")" '^5'
exec 7<&-
exec 7<>"$X/clone"
read -r n2 <&7
echo 'exec /bin/cat' >&7
echo 'through stdin' >"$X/$n2/stdin"
echo eof >&7
expect_eq "N/stdin reaches the process (cat echoes it)" "$(cat "$X/$n2/stdout")" 'through stdin'
expect_match "… and it exits 0 after eof" "$(cat "$X/$n2/wait")" '^0'
exec 7<&-
exec 7<>"$X/clone"
read -r n3 <&7
echo 'exec /bin/nosuchprogram' >&7 2>"$W/x.err"; rc=$?
expect_eq "exec of a missing program fails the write" "$([ $rc -ne 0 ] && echo failed)" failed
exec 7<&-
umount "$X"
if m9 cpu/work carol "$X" 2>/dev/null; then
  exec 7<>"$X/clone" 2>/dev/null && { read -r n4 <&7; echo 'exec /bin/true' >&7 2>/dev/null; r=$?; exec 7<&-; } || r=1
  umount "$X"
  expect_eq "carol cannot run anything through cpu/work" "$([ "$r" -ne 0 ] && echo refused)" refused
else
  ok "carol cannot run anything through cpu/work (the attach is refused)"
fi

# --- proc ----------------------------------------------------------------------------------
on alice cpu work -- 'exec sleep 777' >/dev/null 2>&1 &
sl=$!
wait_for 60 test "$(cgroup_procs work)" -gt 0
if m9 proc alice "$CPU_DIR/proc-alice" 2>"$W/m.err"; then ok "mount aname=proc as alice"; else nok "mount aname=proc as alice" "$(cat "$W/m.err")"; fi
# ENV/PID, or NODE/ENV/PID when the peer network is on (it is here: --peer 127.0.0.1:0).
P=$CPU_DIR/proc-alice
[ -d "$P/work" ] || for d in "$P"/*/; do [ -d "$d/work" ] && P=${d%/}; done
expect_match "alice's proc lists work ($(ls "$CPU_DIR/proc-alice" | head -n 3 | tr '\n' ' '))" "$(ls "$P" 2>&1)" '^work$'
pid=""
for d in "$P"/work/*/; do
  tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q 'sleep 777' && pid=$(basename "$d")
done
expect_match "proc/work/PID/cmdline finds the sleep" "$pid" '^[0-9]+$'
expect_match "proc/work/$pid/status says what it is" "$(cat "$P/work/$pid/status" 2>&1)" 'sleep'
echo kill >"$P/work/$pid/ctl"
if wait_for 30 sh -c "! kill -0 $sl 2>/dev/null"; then ok "writing kill to ctl ends it (the ssh session returns)"; else nok "writing kill to ctl ends it"; fi
wait_for 20 sh -c "[ ! -e '$P/work/$pid' ]"
expect_eq "… and it is gone from proc" "$([ -n "$pid" ] && [ ! -e "$P/work/$pid" ] && echo gone)" gone
on alice cpu work -- 'exec sleep 778' >/dev/null 2>&1 &
sl2=$!
wait_for 60 test "$(cgroup_procs work)" -gt 0
if m9 proc carol "$CPU_DIR/proc-carol" 2>"$W/m.err"; then
  expect_eq "carol's proc does not list alice's work (at any depth)" "$(find "$CPU_DIR/proc-carol" -maxdepth 2 -name work | wc -l)" 0
  expect_eq "… while alice's still does" "$(find "$CPU_DIR/proc-alice" -maxdepth 2 -name work | wc -l)" 1
  umount "$CPU_DIR/proc-carol"
else
  ok "carol's proc does not list alice's work (her attach is refused)"
fi
kill "$sl2" 2>/dev/null
umount "$CPU_DIR/proc-alice"
true

# The `cpu` checks of test/system/vm-cpu-shell.test.ts, run after cpu_up (cpu-lib.sh): one-shot
# commands, an interactive session through tmux, an invited and a refused user, a client that
# disconnects mid-session. Prints TAP lines.
W=$CPU_DIR/w
mkdir -p "$W"

on alice spawn seed as work >"$W/spawn" 2>&1
expect_match "alice spawns seed as work over SSH" "$(cat "$W/spawn")" '^spawned work'
expect_match "spawn prints the cpu line" "$(cat "$W/spawn")" 'cpu work'

# --- one-shot ------------------------------------------------------------------------------
out=$(on alice cpu work -- cat /etc/os-release 2>"$W/err"); rc=$?
expect_match "cat /etc/os-release shows the fixture's file, not the host's" "$out" '^ID=colony-fixture$'
expect_eq "cat /etc/os-release exits 0" "$rc" 0
on alice cpu work -- 'exit 7' >/dev/null 2>&1
expect_eq "exit 7 inside comes back as ssh's status 7" "$?" 7
on alice cpu work -- 'echo to-out; echo to-err >&2' >"$W/o" 2>"$W/e"
expect_eq "stdout carries only stdout" "$(cat "$W/o")" to-out
expect_eq "stderr carries only stderr" "$(cat "$W/e")" to-err
expect_eq "hostname is the environment's name" "$(on alice cpu work -- hostname 2>&1)" work
ps_out=$(on alice cpu work -- ps -o pid,args 2>&1)
# PID 1 is bubblewrap's own reaper (its arguments name the mount); the rest is the session.
not_bwrap=$(printf '%s\n' "$ps_out" | tail -n +2 | grep -v '^ *1 .*bwrap')
expect_no_match "ps shows no process of the appliance" "$not_bwrap" 'node|colony|sshd|init\.sh|tmux|qemu'
expect_match "ps shows the session's own ps" "$not_bwrap" 'ps -o pid,args'
expect_eq "ps lists only the session: at most 3 besides bwrap's PID 1 ($(printf '%s\n' "$not_bwrap" | wc -l))" "$(printf '%s\n' "$not_bwrap" | wc -l | awk '{print ($1 <= 3)}')" 1
on alice cpu work -- nosuchprogram >"$W/o" 2>"$W/e"; rc=$?
expect_eq "a program missing in the environment exits 127" "$rc" 127
expect_match "… and says so on stderr" "$(cat "$W/e")" 'nosuchprogram.*not found|not found.*nosuchprogram'
on alice cpu nosuchenv -- true >"$W/o" 2>"$W/e"; rc=$?
expect_eq "an unknown environment fails (status 1)" "$([ "$rc" -ne 0 ] && echo fail)" fail
expect_match "… with one clear line naming it" "$(cat "$W/o" "$W/e")" 'nosuchenv'

# --- interactive, through tmux ---------------------------------------------------------------
TM=(tmux -S "$W/tmux.sock" -f /dev/null)
export TERM=xterm
pane() { "${TM[@]}" capture-pane -p -t cpu; }
pane_has() { pane | grep -Eq -- "$1"; }
"${TM[@]}" new-session -d -s cpu -x 100 -y 30 "$(ssh_tty alice) cpu work; echo \$? >$W/tty.rc; sleep 1"
"${TM[@]}" set-option -g status off >/dev/null
if wait_for 60 pane_has '@work|# *$'; then ok "ssh -t … cpu work gives a shell prompt"; else nok "ssh -t … cpu work gives a shell prompt" "$(pane)"; fi
"${TM[@]}" send-keys -t cpu 'echo $((6*7))-inside' Enter
if wait_for 30 pane_has '^42-inside'; then ok "a typed command runs"; else nok "a typed command runs" "$(pane)"; fi
size=$("${TM[@]}" display -p -t cpu '#{pane_height} #{pane_width}')
"${TM[@]}" send-keys -t cpu 'echo size=$(stty size)' Enter
if wait_for 30 pane_has "^size=$size\$"; then ok "stty size is the terminal's ($size)"; else nok "stty size is the terminal's ($size)" "$(pane)"; fi
"${TM[@]}" resize-window -t cpu -x 120 -y 40 2>/dev/null || "${TM[@]}" resize-pane -t cpu -x 120 -y 40
size2=$("${TM[@]}" display -p -t cpu '#{pane_height} #{pane_width}')
sleep 1
"${TM[@]}" send-keys -t cpu 'echo resized=$(stty size)' Enter
if wait_for 30 pane_has "^resized=$size2\$"; then ok "a window resize reaches stty size ($size → $size2)"; else nok "a window resize reaches stty size ($size → $size2)" "$(pane)"; fi
"${TM[@]}" send-keys -t cpu 'clear; sleep 300' Enter
sleep 3
t0=$(ms)
"${TM[@]}" send-keys -t cpu C-c
"${TM[@]}" send-keys -t cpu 'echo after=$?' Enter
if wait_for 30 pane_has '^after=130'; then ok "Ctrl-C interrupts sleep (status 130, $(( $(ms) - t0 )) ms)"; else nok "Ctrl-C interrupts sleep" "$(pane)"; fi
"${TM[@]}" send-keys -t cpu 'exit 3' Enter
if wait_for 30 test -s "$W/tty.rc"; then expect_eq "exit 3 ends the session with status 3" "$(cat "$W/tty.rc")" 3; else nok "exit ends the session" "$(pane)"; fi
"${TM[@]}" kill-server 2>/dev/null

# --- invited and refused users ---------------------------------------------------------------
on alice cpu work -- 'echo s3cret >/owner-secret && chmod 600 /owner-secret && id -u' >"$W/o" 2>&1
expect_eq "the owner runs as root inside" "$(cat "$W/o")" 0
on alice invite bob work >"$W/invite" 2>&1
expect_match "alice invites bob into work" "$(cat "$W/invite")" 'bob'
bob_uid=$(on alice cpu work -- 'grep ^bob: /etc/passwd | cut -d: -f3' 2>/dev/null)
expect_match "invite gave bob an account in the environment's /etc/passwd" "$bob_uid" '^[0-9]+$'
expect_eq "bob runs as his own uid (id -u)" "$(on bob cpu work -- id -u 2>&1)" "$bob_uid"
on bob cpu work -- cat /owner-secret >"$W/o" 2>"$W/e"; rc=$?
expect_eq "bob cannot read the owner's 0600 file" "$([ "$rc" -ne 0 ] && ! grep -q s3cret "$W/o" && echo refused)" refused
expect_match "… Permission denied" "$(cat "$W/e")" '[Pp]ermission denied'
on carol cpu work -- true >"$W/o" 2>"$W/e"; rc=$?
expect_eq "carol (not invited) is refused" "$([ "$rc" -ne 0 ] && echo refused)" refused
expect_match "… with one line saying who may" "$(cat "$W/o" "$W/e")" 'only its owner and the users they invited|[Pp]ermission'

# --- a client that disconnects mid-session ---------------------------------------------------
# ssh itself in the background (not through `on`, whose `timeout` would survive as $!).
ssh "${SSH_OPTS[@]}" -T -i "$KEYS/alice" alice@127.0.0.1 'cpu work -- rm -f /root/hup-seen; trap "echo hup >/root/hup-seen; exit 0" HUP; echo started; while :; do sleep 1; done' >"$W/hup.out" 2>&1 &
ssh_pid=$!
if wait_for 60 grep -q started "$W/hup.out"; then ok "a long-running session started"; else nok "a long-running session started" "$(cat "$W/hup.out")"; fi
n_before=$(cgroup_procs work)
expect_eq "its processes are in the environment's cgroup" "$([ "$n_before" -gt 0 ] && echo yes)" yes
kill -KILL "$ssh_pid"; wait "$ssh_pid" 2>/dev/null
if wait_for 60 test "$(cgroup_procs work)" -eq 0; then ok "after the client vanished nothing is left in the cgroup"; else nok "after the client vanished nothing is left in the cgroup" "$(cgroup_procs work) left"; fi
expect_eq "the processes got SIGHUP (the trap ran)" "$(on alice cpu work -- cat /root/hup-seen 2>&1)" hup

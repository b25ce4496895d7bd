# bench/exec's guest half, run after cpu_up (cpu-lib.sh). Prints `sample NAME MS` lines:
#   cpu_true   ssh alice@127.0.0.1 cpu b -- true        (Colony's SSH console, end to end)
#   sshd_true  ssh root@127.0.0.1 -p 2223 true          (OpenSSH's sshd in the same guest)
#   console    ssh alice@127.0.0.1 whoami               (Colony's SSH console, no process)
#   bwrap_true bwrap --unshare-all … true over the environment's own v9fs mount
#   xcpu_true  clone, `exec /bin/true`, wait over a v9fs mount of cpu/b (when the tree exists)
# and `note …` lines for what could not be measured. N samples each (BENCH_N, default 10).
N=${BENCH_N:-10}
B=$CPU_DIR/bench
mkdir -p "$B"
on alice spawn seed as b >/dev/null || { echo "note spawn failed"; exit 1; }
on alice cpu b -- true || echo "note cpu b -- true failed: $?"

# OpenSSH's sshd with its own host key and config under /tmp (the guest's / is read-only).
sshd_ok=0
if [ -x /usr/sbin/sshd ]; then
  ssh-keygen -q -t ed25519 -N '' -f "$B/host_key"
  cp "$KEYS/alice.pub" "$B/authorized_keys"
  cat >"$B/sshd_config" <<C
Port 2223
ListenAddress 127.0.0.1
HostKey $B/host_key
AuthorizedKeysFile $B/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile $B/sshd.pid
C
  mkdir -p /run/sshd && chmod 755 /run/sshd
  # root's shell is bash, which sources ~/.bashrc under sshd: the host's /root (pyenv and
  # the like) would slow the anchor down. An empty /root in this guest only.
  mount -t tmpfs -o mode=0700 roothome /root
  if /usr/sbin/sshd -f "$B/sshd_config" -E "$B/sshd.log"; then
    sshd_true() { timeout 60 ssh "${SSH_BASE[@]}" -p 2223 -T -i "$KEYS/alice" root@127.0.0.1 true; }
    if wait_for 30 sshd_true; then sshd_ok=1; else echo "note sshd did not answer: $(tail -n 3 "$B/sshd.log" | tr '\n' ' ')"; fi
  else
    echo "note sshd did not start: $(tail -n 3 "$B/sshd.log" | tr '\n' ' ')"
  fi
else
  echo "note no /usr/sbin/sshd (openssh-server is not installed on the host)"
fi

# The environment's mount, for bwrap over the same root the product uses.
root=$(grep ' 9p ' /proc/mounts | grep 'aname=env/b\b' | awk '{print $2}' | head -n 1)
[ -n "$root" ] || { root=$CPU_DIR/fixture; echo "note no v9fs mount of b: the bwrap anchor runs over the fixture directory (tmpfs) instead"; }

xcpu=0
mkdir -p "$B/x"
if mount -t 9p -o trans=unix,version=9p2000.L,aname=cpu/b,uname=alice,access=any,cache=none "$DATA/9p.sock" "$B/x" 2>"$B/xcpu.err"; then xcpu=1; else echo "note xcpu tree not mountable: $(cat "$B/xcpu.err")"; fi
xcpu_once() {
  local n
  exec 7<"$B/x/clone" || return 1
  read -r n <&7
  echo 'exec /bin/true' >"$B/x/$n/ctl" && cat "$B/x/$n/wait" >/dev/null
  exec 7<&-
}

timed() { # NAME CMD...
  local t0; t0=$(date +%s%N)
  "${@:2}" >/dev/null 2>&1 || { echo "note $1 failed: $?"; return; }
  echo "sample $1 $(( ($(date +%s%N) - t0) / 1000 ))us"
}
for i in $(seq "$N"); do
  timed cpu_true on alice cpu b -- true
  [ $sshd_ok = 1 ] && timed sshd_true sshd_true
  timed console on alice whoami
  [ -n "$root" ] && timed bwrap_true bwrap --unshare-all --die-with-parent --ro-bind "$root" / --proc /proc --dev /dev --tmpfs /tmp /bin/true
  [ $xcpu = 1 ] && timed xcpu_true xcpu_once
done
[ $xcpu = 1 ] && umount "$B/x"
[ -f "$B/sshd.pid" ] && kill "$(cat "$B/sshd.pid")"
true

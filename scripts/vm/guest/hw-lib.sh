# Sourced (after cpu-lib.sh) by test/system/vm-hw.test.ts inside the guest: the supervisor on
# real hardware paths. The guest has real LED-class devices with no GPIO: `mmc0::` from the SD
# host controller (sdhci-pci, a module, with an sd-card on it) and `input0::capslock` etc. from
# the i8042 keyboard (built in). Its second UART is /dev/ttyS1, whose host end is a pty the
# host's picocom drives. The kernel's module tree is the one scripts/vm/build.sh unpacked,
# reached read-only through the host root ($HW_MODULES); MODPROBE_OPTIONS points kmod's
# modprobe at it, so the LED driver's own `modprobe ledtrig-NAME` works as on a board.
# Needs $HW_MODULES and $HW_SIGNAL (a host directory the host writes `done` into) from the host.
# Every wait is bounded.
export MODPROBE_OPTIONS="-d $HW_MODULES"

# hw_modules: the SD controller and card; waits for the LED `mmc0::`.
hw_modules() {
  modprobe sdhci-pci && modprobe mmc_block || return 1
  wait_for 30 test -e /sys/class/leds/mmc0::
}

# The active trigger of LED $1 (the bracketed entry of its trigger list).
led_trigger() { sed -n 's/.*\[\([^]]*\)\].*/\1/p' "/sys/class/leds/$1/trigger"; }
# Whether the kernel offers trigger $2 to LED $1 (loaded module).
led_offers() { tr ' []' '\n\n\n' <"/sys/class/leds/$1/trigger" | grep -qx "$2"; }
led_read() { tr -s ' \n' '  ' <"/sys/class/leds/$1/$2" | sed 's/^ //; s/ $//'; }

# What LED $1 shows, in the host's words (test/helpers/vm-hw.ts sysfsView):
#   trigger=none brightness=B | trigger=timer delay_on=A delay_off=B | trigger=pattern repeat=R pattern=…
#   | trigger=NAME (any other)
led_view() {
  local t; t=$(led_trigger "$1")
  case "$t" in
    none) echo "trigger=none brightness=$(led_read "$1" brightness)" ;;
    timer) echo "trigger=timer delay_on=$(led_read "$1" delay_on) delay_off=$(led_read "$1" delay_off)" ;;
    pattern) echo "trigger=pattern repeat=$(led_read "$1" repeat) pattern=$(led_read "$1" pattern)" ;;
    *) echo "trigger=$t" ;;
  esac
}
led_view_is() { [ "$(led_view "$1")" = "$2" ]; }
# expect_leds WHEN SECONDS WANT_STATUS WANT_POWER: waits (bounded) until both LEDs show theirs
# (one loop for both: a 5 s identify must not run out between two waits), then one check each.
leds_are() { led_view_is "$LED_STATUS" "$1" && led_view_is "$LED_POWER" "$2"; }
expect_leds() {
  wait_for "$2" leds_are "$3" "$4"
  local vs vp; vs=$(led_view "$LED_STATUS"); vp=$(led_view "$LED_POWER")
  expect_eq "$1: the status LED $LED_STATUS shows [$3]" "$vs" "$3"
  expect_eq "$1: the power LED $LED_POWER shows [$4]" "$vp" "$4"
}

# on_admin COMMAND...: one OpenSSH client run as admin with $ADMIN_PASSWORD (set on the serial line).
on_admin() {
  timeout 300 sshpass -p "$ADMIN_PASSWORD" ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR -o ConnectTimeout=30 -o PreferredAuthentications=password -o PubkeyAuthentication=no \
    -p "$SSH_PORT" -T admin@127.0.0.1 "$@"
}

# hw_up CONFIG_JSON: `colony serve` with CONFIG. Prints its timing.
hw_up() {
  local t0; t0=$(ms)
  printf '%s\n' "$1" >"$CPU_DIR/colony.json"
  (cd "$COLONY_REPO" && COLONY_LOG_LEVEL=${COLONY_LOG_LEVEL:-info} exec node --initial-old-space-size=64 --max-semi-space-size=2 --import tsx \
    appliance/cli/run.ts serve --data "$DATA" --config "$CPU_DIR/colony.json" --9p 127.0.0.1:5640 --ssh 127.0.0.1:$SSH_PORT --peer 127.0.0.1:0) \
    >"$CPU_DIR/serve.log" 2>&1 &
  SERVE_PID=$!
  if ! wait_for 400 serve_ready; then
    echo "colony serve did not become ready:"; tail -n 30 "$CPU_DIR/serve.log"; return 1
  fi
  echo "serve_ready_ms=$(( $(ms) - t0 ))"
}

# The host's serial session is over when $HW_SIGNAL holds `done` (listed, not looked up: v9fs
# with cache=loose keeps a negative lookup, a fresh readdir asks the host).
host_done() { ls "$HW_SIGNAL" | grep -qx done; }

# hw_checks CONFIG_JSON: the guest half of vm-hw.test.ts (the host logs in as admin on the
# serial line meanwhile). From the host: ADMIN_PASSWORD (the one the host sets on the serial
# line), LED_STATUS, LED_POWER (the LEDs CONFIG names),
# MAX_STATUS, MAX_POWER (their max_brightness as the host planned for), and the views
# (led_view's words) the plan gives them: READY_STATUS, READY_POWER, IDENTIFY_STATUS, IDENTIFY_POWER.
hw_checks() {
  if hw_modules; then ok 'sdhci-pci loads from the kernel module tree and the SD LED mmc0:: appears'
  else nok 'sdhci-pci loads from the kernel module tree and the SD LED mmc0:: appears' "$(ls /sys/class/leds | tr '\n' ' ')"; return 1; fi
  local s="$LED_STATUS" p="$LED_POWER"
  expect_eq "$s has max_brightness $MAX_STATUS" "$(led_read "$s" max_brightness)" "$MAX_STATUS"
  expect_eq "$p has max_brightness $MAX_POWER" "$(led_read "$p" max_brightness)" "$MAX_POWER"
  local start_s start_p; start_s=$(led_view "$s"); start_p=$(led_view "$p")
  expect_eq "$s starts on the kernel's own trigger (mmc0)" "$start_s" 'trigger=mmc0'
  expect_eq "$p starts on the kernel's own trigger (kbd-capslock)" "$start_p" 'trigger=kbd-capslock'
  if led_offers "$s" pattern; then nok 'ledtrig-pattern is not loaded before the supervisor starts' 'already offered'
  else ok 'ledtrig-pattern is not loaded before the supervisor starts'; fi

  if ! hw_up "$1"; then
    nok 'colony serve comes up with leds and serial configured' "$(tail -n 15 "$CPU_DIR/serve.log")"
    return 1
  fi
  ok 'colony serve comes up with leds and serial configured'
  expect_leds 'ready' 60 "$READY_STATUS" "$READY_POWER"

  # The host logs in as admin on the serial line (the first-boot notice, the one-time password
  # replaced by $ADMIN_PASSWORD); SSH then takes that password.
  check "the host's picocom session ended (bounded)" wait_for 400 host_done
  expect_match "the supervisor logged admin's serial login" "$(grep -h '"msg":"serial login"' "$CPU_DIR/serve.log")" '"user":"admin"'
  expect_match "the supervisor logged the one-time password replaced" "$(grep -h 'one-time password replaced' "$CPU_DIR/serve.log")" '"user":"admin"'
  expect_match "the supervisor logged admin's serial logout" "$(grep -h '"msg":"serial logout"' "$CPU_DIR/serve.log")" '"user":"admin"'

  # In the background, so the 5 s are watched from their start, not from when ssh returns.
  # The bound is long: an SSH login with a password costs tens of seconds under TCG on a busy host.
  local t_id; t_id=$(ms)
  on_admin identify 5 >"$CPU_DIR/identify.out" 2>&1 &
  local id=$!
  expect_leds 'identify 5' 240 "$IDENTIFY_STATUS" "$IDENTIFY_POWER"
  echo "identify_seen_ms=$(( $(ms) - t_id ))"
  wait $id
  echo "identify_ssh_ms=$(( $(ms) - t_id ))"
  expect_match 'identify 5 over SSH (admin, password) names the LEDs' "$(cat "$CPU_DIR/identify.out")" "identifying for 5 s on status $s, power $p"
  check "the LED driver loaded ledtrig-pattern itself (its modprobe, the kernel's module tree)" led_offers "$s" pattern
  expect_leds 'identify over' 40 "$READY_STATUS" "$READY_POWER"

  cpu_down
  expect_eq "stopped: $s has the trigger found at start again" "$(led_view "$s")" "$start_s"
  expect_eq "stopped: $p has the trigger found at start again" "$(led_view "$p")" "$start_p"
}

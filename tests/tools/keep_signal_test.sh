#!/usr/bin/env bash
# `natpunch add --keep` must stop on SIGINT/SIGTERM whenever the signal lands: during the first add
# (exit 130, the add undone), while sleeping, while a renewal or an address request is in flight (the
# simulator delays every answer by 150 ms, so many signals land mid-request): it then deletes its
# mapping and exits 0. Either way promptly, and the gateway sees the delete.
# No root needed: gwsim plays the gateway on loopback.
#   bash tests/tools/keep_signal_test.sh build/tools/natpunch build/tools/gwsim
set -euo pipefail
NATPUNCH=$1
GWSIM=$2
work=$(mktemp -d)
export NATPUNCH_STATE_DIR=$work/state  # a record of its own (natpunch records what it makes)
gw_pid=
pid=
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  [[ -n $gw_pid ]] && kill "$gw_pid" 2>/dev/null || true
  [[ -n ${KEEP_WORK:-} ]] && cp -r "$work" "$KEEP_WORK"; rm -rf "$work"
}
trap cleanup EXIT

"$GWSIM" --delay-ms 150 --run-seconds 120 >"$work/gw.log" &
gw_pid=$!
for _ in $(seq 50); do grep -q listening "$work/gw.log" 2>/dev/null && break; sleep 0.05; done
port=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["listening"].split(":")[1])' "$work/gw.log")

failures=0
runs=0
# Lifetime 2 s: a renewal (map + address request, 300 ms with the delay) every second.
for delay in 0.05 0.2 0.45 0.7 1.05 1.2 1.35 1.6 2.1 2.25 2.4; do
  for sig in INT TERM; do
    runs=$((runs + 1))
    out="$work/run$runs"
    "$NATPUNCH" --gateway "127.0.0.1:$port" --timeout 5 --json add "$((9000 + runs))/tcp" --keep \
      --lifetime 2 >"$out" 2>"$out.err" &
    pid=$!
    sleep "$delay"
    start=$(date +%s%N)
    # Delivered twice, 50 ms apart, as GNU timeout (child, then process group) and systemd's
    # control-group kill do: one request to stop, which must not cancel the delete on exit.
    kill -"$sig" "$pid"
    sleep 0.05
    kill -"$sig" "$pid" 2>/dev/null || true
    # Watchdog: 5 s to exit, then SIGKILL and a failure.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    rc=0
    wait "$pid" || rc=$?
    took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [[ $rc -eq 0 ]] && grep -q '"event":"removed"' "$out" && [[ $took_ms -lt 3000 ]]; then
      echo "ok - SIG$sig after ${delay}s: exit 0 in ${took_ms} ms, mapping removed"
    elif [[ $rc -eq 130 ]] && grep -q 'undone (mapping deleted)' "$out.err" && [[ $took_ms -lt 3000 ]]; then
      echo "ok - SIG$sig after ${delay}s, during the first add: exit 130 in ${took_ms} ms, add undone"
    else
      echo "not ok - SIG$sig after ${delay}s: exit $rc after ${took_ms} ms; output: $(tr '\n' ' ' <"$out") $(tr '\n' ' ' <"$out.err")"
      failures=$((failures + 1))
    fi
  done
done
# What the gateway holds, not what natpunch says: no port's last request is a map (retransmissions may
# repeat requests), nearly every run got as far as a map, and the table ends empty.
kill -TERM "$gw_pid"
wait "$gw_pid" || true
gw_pid=
verdict=$(python3 - "$work/gw.log" "$runs" <<'PY'
import json, sys
last = {}
stopped = None
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if "request" in rec and "internal_port" in rec:
        last[rec["internal_port"]] = rec["request"]
    if "stopped" in rec:
        stopped = rec["mappings"]
runs = int(sys.argv[2])
# A run stopped before its map reached the gateway (natpunch tries PCP first, which this NAT-PMP
# gateway refuses) made nothing and needs no delete; any port that was mapped must end deleted.
bad = [p for p in range(9001, 9001 + runs) if last.get(p) == "map"]
mapped = sum(1 for p in range(9001, 9001 + runs) if p in last)
print("ok" if not bad and stopped == 0 and mapped >= runs - 4 else
      f"ports whose last request was a map: {bad}; mappings left: {stopped}; ports ever mapped: {mapped}")
PY
)
if [[ $verdict == ok ]]; then echo "ok - every port the gateway mapped ended deleted; its table is empty"; else
  echo "not ok - $verdict"
  failures=$((failures + 1))
fi
echo "$((runs + 1 - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]

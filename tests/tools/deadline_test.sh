#!/usr/bin/env bash
# --timeout bounds a whole `add`, fallback included: the PCP attempt that ends in NAT-PMP's "unsupported
# version" and the NAT-PMP attempt after it share one deadline. The simulator (NAT-PMP only) answers
# everything 1.5 s late: with --timeout 2 the PCP refusal arrives at 1.5 s, NAT-PMP gets the 0.5 s left
# and must give up near 2 s (exit 3) — not map at 3 s, as two separate deadlines would.
# No root needed: gwsim plays the gateway on loopback.
#   bash tests/tools/deadline_test.sh build/tools/natpunch build/tools/gwsim
set -euo pipefail
NATPUNCH=$1
GWSIM=$2
work=$(mktemp -d)
export NATPUNCH_STATE_DIR=$work/state  # a record of its own (natpunch records what it makes)
gw_pid=
cleanup() {
  [[ -n $gw_pid ]] && kill "$gw_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$GWSIM" --delay-ms 1500 --run-seconds 30 >"$work/gw.log" &
gw_pid=$!
for _ in $(seq 50); do grep -q listening "$work/gw.log" 2>/dev/null && break; sleep 0.05; done
port=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["listening"].split(":")[1])' "$work/gw.log")

failures=0
start=$(date +%s%N)
rc=0
"$NATPUNCH" --gateway "127.0.0.1:$port" --timeout 2 -v add 9100/tcp >"$work/out" 2>"$work/err" || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo "# add with --timeout 2 against a 1.5 s-late NAT-PMP gateway: exit $rc after $ms ms"
sed 's/^/#   /' "$work/err" | tail -n 4
if [[ $rc -eq 3 ]]; then echo "ok - it times out (exit 3)"; else echo "not ok - exit $rc, expected 3"; failures=$((failures + 1)); fi
if ((ms >= 1900 && ms < 2600)); then
  echo "ok - it stops within the one 2 s deadline ($ms ms)"
else
  echo "not ok - it took $ms ms, expected about 2000"; failures=$((failures + 1))
fi
if grep -q "speaks NAT-PMP" "$work/err"; then
  echo "ok - it did fall back to NAT-PMP first"
else
  echo "not ok - no fallback seen in the log"; failures=$((failures + 1))
fi
exit $((failures > 0))

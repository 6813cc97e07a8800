#!/usr/bin/env bash
# An external address that is not public means another NAT upstream (double NAT, carrier-grade NAT):
# natpunch maps, but says so plainly, with what to do, and --json carries "double_nat". gwsim plays a
# NAT-PMP-only gateway (so auto also shows its fallback) and a PCP one, on loopback. No root needed.
#   bash tests/tools/double_nat_test.sh build/tools/natpunch build/tools/gwsim
set -euo pipefail
NATPUNCH=$1
GWSIM=$2
work=$(mktemp -d)
export NATPUNCH_STATE_DIR=$work/state
gw_pid=
cleanup() {
  [[ -n $gw_pid ]] && kill "$gw_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() { # NAME COMMAND...
  local name=$1
  shift
  if "$@"; then echo "ok - $name"; else echo "not ok - $name"; failures=$((failures + 1)); fi
}
json() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"; }

start_gw() { # ARGS...
  [[ -n $gw_pid ]] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null || true
  : >"$work/gw.log"
  # Each simulated gateway a record of its own: they share 127.0.0.1, which the record keys gateways by.
  export NATPUNCH_STATE_DIR=$work/state.$RANDOM
  "$GWSIM" --run-seconds 30 "$@" >"$work/gw.log" &
  gw_pid=$!
  for _ in $(seq 50); do grep -q listening "$work/gw.log" 2>/dev/null && break; sleep 0.05; done
  port=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["listening"].split(":")[1])' "$work/gw.log")
}

# 1. Carrier-grade NAT (RFC 6598), a NAT-PMP-only gateway.
start_gw --external 100.64.7.9
out=$("$NATPUNCH" --gateway "127.0.0.1:$port" --timeout 5 --json add 9100/tcp 2>"$work/err") || true
check "NAT-PMP-only gateway: auto maps over NAT-PMP, with double_nat true" \
  json "$out" "d['protocol'] == 'natpmp' and d['external_ip'] == '100.64.7.9' and d['double_nat'] is True"
check "... and says carrier-grade NAT and what to do" \
  grep -q "100.64.7.9 is shared (carrier-grade NAT), not public: another NAT sits upstream.*ask your ISP" "$work/err"
out=$("$NATPUNCH" --gateway "127.0.0.1:$port" --timeout 5 --json external-ip 2>"$work/err") || true
check "external-ip: double_nat true and the warning" \
  bash -c 'python3 -c "import json,sys; assert json.loads(sys.argv[1])[\"double_nat\"] is True" "$1" && grep -q "not public" "$2"' _ "$out" "$work/err"

# 2. A private address upstream (a router behind the ISP's router), PCP.
start_gw --pcp --external 192.168.0.7
out=$("$NATPUNCH" --gateway "127.0.0.1:$port" --timeout 5 add 9101/tcp 2>"$work/err") || true
check "PCP gateway with 192.168.0.7 outside: mapped over PCP" grep -q "mapped tcp 192.168.0.7:9101 .*(pcp" <<<"$out"
check "... with the double-NAT warning on stderr" grep -q "192.168.0.7 is private, not public: another NAT sits upstream (double NAT)" "$work/err"

# 3. A public address: no warning.
start_gw --pcp --external 11.0.0.5
out=$("$NATPUNCH" --gateway "127.0.0.1:$port" --timeout 5 --json add 9102/tcp 2>"$work/err") || true
check "public address: double_nat false and no warning" \
  bash -c 'python3 -c "import json,sys; assert json.loads(sys.argv[1])[\"double_nat\"] is False" "$1" && ! grep -q "not public" "$2"' _ "$out" "$work/err"
exit $((failures > 0))

#!/usr/bin/env bash
# A router that publishes its IGD only in TR-064's domain (urn:dslforum-org:..., as Huawei's HG531 V1
# does: tailscale/tailscale#10911), played by gwsim --dslforum on a LAN host with miniupnpd off. natpunch
# must find it by SSDP, call it with the SOAPAction and namespace it expects, and judge its answers:
# an external address of 0.0.0.0 (WAN down) is an error (exit 4), which `status` reports as it is.
#
#   sudo bash tests/lab/tr064_test.sh path/to/natpunch path/to/gwsim
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"
[[ $# -eq 2 ]] || { echo "usage: $0 NATPUNCH_BINARY GWSIM_BINARY" >&2; exit 2; }
NATPUNCH=$(realpath -e "$1" 2>/dev/null || echo "$1")
GWSIM=$(realpath -e "$2" 2>/dev/null || echo "$2")
lab_require
[[ -x $NATPUNCH && -x $GWSIM ]] || { echo "not ok - natpunch or gwsim missing (build both)"; exit 1; }

lab_up
lab_gateway_stop  # miniupnpd off: the TR-064 IGD is the only one
ROUTER=192.168.86.66
lab_add_lan_host tr064 "$ROUTER"
GW_PID=
start_gwsim() { # extra gwsim args...
  [[ -n $GW_PID ]] && { kill "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; }
  ip netns exec "$LAB_NS_TR064" timeout 60 "$GWSIM" --run-seconds 50 --listen "$ROUTER:5351" --http 5000 --ssdp \
    --dslforum "$@" >"$LAB_DIR/gw.log" 2>&1 &
  GW_PID=$!
  lab_wait_until 5 ip netns exec "$LAB_NS_TR064" bash -c "exec 3<>/dev/tcp/$ROUTER/5000" 2>/dev/null
}
np() { lab_natpunch --protocol upnp --gateway "$ROUTER" --timeout 5 "$@"; }

lab_step "gwsim plays a TR-064-only IGD at $ROUTER" start_gwsim
np -v --json add 2222/tcp
lab_step "found by SSDP (a TR-064 search) and mapped: exit 0, over UPnP" \
  lab_json_check "$OUT" "d['protocol'] == 'upnp' and d['external_port'] == 2222 and d['igd'] == 'http://$ROUTER:5000/rootDesc.xml'"
lab_step "AddPortMapping was called with TR-064's service type" \
  grep -q '"soap":"AddPortMapping".*urn:dslforum-org:service:WAN\(IP\|PPP\)Connection:1' "$LAB_DIR/gw.log"
np --json status
lab_step "status reads the TR-064 connection" \
  lab_json_check "$OUT" "d['service'].startswith('urn:dslforum-org:service:') and d['external_ip'] == '11.0.0.5'"
np delete 2222/tcp
lab_step "delete 2222/tcp: exit 0" test "$RC" -eq 0

lab_step "the same IGD with its WAN down (external address 0.0.0.0)" start_gwsim --external 0.0.0.0
np --json external-ip
lab_step "external-ip: no external address is an error (exit 4), in the gateway's terms" \
  bash -c '[[ $1 -eq 4 ]] && grep -q "no external address" <<<"$2"' _ "$RC" "$ERR"
np --json status
lab_step "status still answers, and shows 0.0.0.0 as the gateway reports it" \
  lab_json_check "$OUT" "d['external_ip'] == '0.0.0.0'"
[[ -n $GW_PID ]] && { kill "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; }
lab_finish

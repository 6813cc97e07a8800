#!/usr/bin/env bash
# The first user's scenario with natpunch's defaults alone (no --protocol, no --nonce), on the three kinds
# of home router, in one lab: miniupnpd as it comes (PCP, NAT-PMP and UPnP IGD at once), a NAT-PMP-only
# router (UPnP off, PCP answered "unsupported version"), and a UPnP-only router (enable_natpmp=no, which
# is what most home routers are). On each: `add PORT/tcp` picks the protocol the router speaks, inet
# reaches the port, `list` shows it, `delete PORT/tcp` removes it (the router's own table and inet as
# witnesses). Then: a second add renews the recorded mapping, the remembered IGD is used without SSDP,
# and `delete --all` removes what a SIGKILLed natpunch left behind.
#
#   sudo bash tests/lab/auto_test.sh path/to/natpunch
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"

if [[ $# -ne 1 ]]; then
  echo "usage: $0 NATPUNCH_BINARY" >&2
  exit 2
fi
NATPUNCH=$(realpath -e "$1" 2>/dev/null || echo "$1")

lab_require upnpc
if [[ ! -x $NATPUNCH ]]; then
  echo "not ok - natpunch binary '$NATPUNCH' is missing or not executable (build the 'natpunch' target)"
  exit 1
fi

np() { lab_natpunch --timeout 5 "$@"; }
# The router's own forwarding rules (miniupnpd's nat chain): the witness when it offers no UPnP to ask.
rule_for() { lab_gw nft list chain inet filter prerouting_miniupnpd | grep -q "dport $1 "; }
no_rule_for() { ! rule_for "$1"; }
list_has() { # OUT PROTOCOL PORT
  python3 - "$@" <<'PY'
import json, sys
out, proto, port = sys.argv[1:]
rows = [json.loads(l) for l in out.splitlines() if l.strip()]
sys.exit(0 if any(r["protocol"] == proto and r["internal_port"] == int(port) and r["expires_in"] > 0 and r["this_gateway"]
                  for r in rows) else 1)
PY
}

# seed ROUTER PROTOCOL PORT WITNESS: add, reached from outside, listed, deleted by port, gone.
seed() {
  local router=$1 proto=$2 port=$3 witness=$4 t0 ms
  t0=$(_lab_now_us)
  np --json add "$port/tcp"
  ms=$((($(_lab_now_us) - t0) / 1000))
  lab_step "$router: add $port/tcp with the defaults maps over $proto (exit $RC, ${ms} ms)" \
    lab_json_check "$OUT" "d['protocol'] == '$proto' and d['external_port'] == $port and d['external_ip'] == '$LAB_WAN_IP'"
  lab_step "$router: inet reaches lan:$port through $LAB_WAN_IP:$port" lab_prove_tcp "$port" reachable
  case $witness in
    upnpc) lab_step "$router: the router lists it (upnpc)" lab_listed TCP "$port" "$port" ;;
    rule) lab_step "$router: the router holds its forwarding rule (nft)" rule_for "$port" ;;
  esac
  np --json list
  lab_step "$router: list shows it ($proto, time left)" list_has "$OUT" "$proto" "$port"
  np delete "$port/tcp"
  lab_step "$router: delete $port/tcp (no protocol, no nonce) exits 0" test "$RC" -eq 0
  lab_step "$router: inet can no longer connect" lab_prove_tcp "$port" unreachable
  case $witness in
    upnpc) lab_step "$router: the router no longer lists it (upnpc)" lab_unlisted TCP "$port" "$port" ;;
    rule) lab_step "$router: its forwarding rule is gone (nft)" no_rule_for "$port" ;;
  esac
  np --json list
  lab_step "$router: list no longer shows it" bash -c '! grep -q "\"internal_port\":$1," <<<"$2"' _ "$port" "$OUT"
}

echo "# natpunch: $NATPUNCH"
lab_up
echo "# lab $LAB_PREFIX up in ${LAB_UP_SECONDS}s (gateway $LAB_GW_IP, public $LAB_WAN_IP)"

# --- 1. miniupnpd as it comes: PCP is the best it speaks --------------------------------------------
seed "PCP router" pcp 8333 upnpc
np --json add 8333/tcp --lifetime 600
nonce=$(lab_json_get "$OUT" nonce)
np --json add 8333/tcp --lifetime 900
lab_step "PCP router: a second add renews the recorded mapping (same nonce and port, lifetime 900)" \
  lab_json_check "$OUT" "d['protocol'] == 'pcp' and d['nonce'] == '$nonce' and d['external_port'] == 8333 and d['lifetime'] == 900"
np delete 8333/tcp
lab_step "PCP router: and it is deleted by port" lab_unlisted TCP 8333 8333

# --- 2. a NAT-PMP-only router ----------------------------------------------------------------------
LAB_UPNP=no
lab_gateway_reconfigure
lab_natpmp_only on
np --json add 8334/tcp
lab_step "NAT-PMP-only router: PCP is answered 'unsupported version' (check the lab's router)" \
  lab_json_check "$OUT" "d['protocol'] == 'natpmp'"
np delete 8334/tcp
seed "NAT-PMP-only router" natpmp 8334 rule

# --- 3. a UPnP-only router -------------------------------------------------------------------------
lab_natpmp_only off
LAB_UPNP=yes LAB_NATPMP=no
lab_gateway_reconfigure
seed "UPnP-only router" upnp 8335 upnpc
# The record now says which IGD served this gateway: the next add goes straight to its control URL.
np -v --json add 8336/tcp
lab_step "UPnP-only router: a later add uses the remembered IGD (no SSDP search)" \
  bash -c 'grep -q "from the record" <<<"$1" && ! grep -q "SSDP:" <<<"$1"' _ "$ERR"
lab_step "UPnP-only router: ... and maps" lab_prove_tcp 8336 reachable

# A mapping removed behind natpunch's back (another program, a router's web page): list asks the IGD,
# reports it gone and forgets it.
np --json add 8338/tcp
lab_lan timeout 10 upnpc -u "$LAB_ROOTDESC_URL" -d 8338 TCP >/dev/null 2>&1 || true
lab_step "UPnP-only router: upnpc removed 8338 behind natpunch's back" lab_unlisted TCP 8338 8338
np --json list
lab_step "list asks the IGD: 8338 reported gone (held false), 8336 held" \
  bash -c 'grep -q "\"external_port\":8338,.*\"held\":false" <<<"$1" && grep -q "\"external_port\":8336,.*\"held\":true" <<<"$1"' _ "$OUT"
np --json list
lab_step "... and forgotten" bash -c '! grep -q "\"external_port\":8338," <<<"$1"' _ "$OUT"

# The router moves its IGD to another port (a firmware update, a reboot with a random port): the
# remembered control URL no longer answers, and the same add searches again within its --timeout.
LAB_HTTP_PORT=5001
LAB_ROOTDESC_URL="http://${LAB_GW_IP}:${LAB_HTTP_PORT}/rootDesc.xml"
lab_gateway_reconfigure
np -v --json add 8339/tcp
lab_step "the remembered IGD moved: the add tries it, searches again (SSDP) and maps" \
  bash -c '[[ $1 -eq 0 ]] && grep -q "from the record" <<<"$2" && grep -q "SSDP:" <<<"$2"' _ "$RC" "$ERR"
lab_step "... inet reaches 8339" lab_prove_tcp 8339 reachable
np -v --json add 8340/tcp
lab_step "... and the record now names the IGD's new place (no SSDP the next time)" \
  bash -c '[[ $1 -eq 0 ]] && grep -q "rootDesc.xml from the record" <<<"$2" && ! grep -q "SSDP:" <<<"$2"' _ "$RC" "$ERR"
np delete 8339/tcp
np delete 8340/tcp

# --- 4. what a killed natpunch left behind ----------------------------------------------------------
lab_lan timeout 60 "$NATPUNCH" --timeout 5 --json add 8337/tcp --keep >"$LAB_DIR/keep.out" 2>&1 &
keep_pid=$!
lab_wait_until 10 lab_has_event "$LAB_DIR/keep.out" mapped || true
kill -KILL "$keep_pid" 2>/dev/null || true
wait "$keep_pid" 2>/dev/null || true
lab_step "add --keep killed with SIGKILL left 8337 mapped" lab_listed TCP 8337 8337
np --json delete --all
lab_step "delete --all exits 0 and names both mappings" \
  bash -c '[[ $1 -eq 0 ]] && grep -q "\"external_port\":8336" <<<"$2" && grep -q "\"external_port\":8337" <<<"$2"' _ "$RC" "$OUT"
lab_step "... 8336 is gone from the router" lab_unlisted TCP 8336 8336
lab_step "... 8337 is gone from the router" lab_unlisted TCP 8337 8337
np --json list
lab_step "... and nothing is left in the record" test -z "$OUT"

lab_finish

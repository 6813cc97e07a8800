#!/usr/bin/env bash
# Integration test of the natpunch CLI over UPnP IGD against the real miniupnpd in the namespace lab:
# the seed scenario (list; add; connect from outside; delete; list shows it gone), UDP, discovery,
# status, external-ip, --igd, 100 mappings listed, delete-range.
#
#   sudo bash tests/lab/upnp_test.sh path/to/natpunch             (IGD:2, WANIPConnection:2)
#   sudo LAB_IGD_V1=1 bash tests/lab/upnp_test.sh path/to/natpunch (force_igd_desc_v1: IGD:1 description)
#
# Witnesses: the outside host (inet) must reach the mapped port and receive the listener's token, and
# upnpc (another client) must list or not list each mapping. Exit 0 = all ok, 77 = skipped, else failed.
# The lab's permission rules allow ports 1024-65535 only, so the seed's `upnpc -r 22 TCP` becomes 2222.
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

np() { lab_natpunch --protocol upnp --timeout 10 "$@"; }
json_check() { lab_json_check "$@"; }
lines() { if [[ -z $1 ]]; then echo 0; else wc -l <<<"$1"; fi; }
# Every list line is one JSON object with the fields the issue names.
list_has() { # OUT PORT PROTO INTERNAL_PORT
  python3 - "$1" "$2" "$3" "$4" "$LAB_LAN_IP" <<'PY'
import json, sys
out, port, proto, internal, lan = sys.argv[1:]
rows = [json.loads(l) for l in out.splitlines() if l.strip()]
need = {"external_port", "internal_ip", "internal_port", "transport", "description", "lifetime"}
assert all(need <= set(r) for r in rows), rows
sys.exit(0 if any(r["external_port"] == int(port) and r["transport"] == proto and
                  r["internal_port"] == int(internal) and r["internal_ip"] == lan for r in rows) else 1)
PY
}

version=2
[[ ${LAB_IGD_V1:-0} == 1 ]] && version=1
echo "# natpunch: $NATPUNCH (IGD:$version description)"
lab_up
echo "# lab $LAB_PREFIX up in ${LAB_UP_SECONDS}s (gateway $LAB_GW_IP, public $LAB_WAN_IP)"

# --- discovery ---------------------------------------------------------------------------------
np --json discover
lab_step "discover exits 0" test "$RC" -eq 0
lab_step "discover --json: the default gateway's IGD:$version, with its description URL" \
  json_check "$(head -n1 <<<"$OUT")" "d['protocol'] == 'upnp' and d['default_gateway'] and d['responder'] == '$LAB_GW_IP'
and d['igd_version'] == $version and d['location'] == '$LAB_ROOTDESC_URL'"
lab_step "discover: one IGD, however many answers it sent" test "$(grep -c '"protocol":"upnp"' <<<"$OUT")" -eq 1
lab_step "discover: the gateway also speaks PCP and NAT-PMP (one line each)" \
  bash -c 'grep -q "\"protocol\":\"pcp\",\"gateway\":\"$1\"" <<<"$2" && grep -q "\"protocol\":\"natpmp\"" <<<"$2"' _ "$LAB_GW_IP" "$OUT"

np --json status
lab_step "status --json: connected, external ip $LAB_WAN_IP, uptime and link rates" \
  json_check "$OUT" "d['connected'] and d['external_ip'] == '$LAB_WAN_IP' and d['uptime'] >= 0
and d['igd_version'] == $version and 'upstream_bps' in d"
np --json external-ip
lab_step "external-ip --json over UPnP: $LAB_WAN_IP" json_check "$OUT" "d['protocol'] == 'upnp' and d['external_ip'] == '$LAB_WAN_IP'"

# --- the seed scenario: list; add; connect from outside; delete; list shows it gone -------------
np --json list
lab_step "list on a fresh gateway: exit 0, no mapping" test "$RC" -eq 0 -a "$(lines "$OUT")" -eq 0
lab_step "before add: $LAB_WAN_IP:2222/tcp is not reachable from inet" lab_prove_tcp 2222 unreachable

np --json add 2222/tcp --lifetime 3600 --description "seed ssh"
lab_step "add 2222/tcp exits 0" test "$RC" -eq 0
lab_step "add --json: protocol upnp, external $LAB_WAN_IP:2222 -> $LAB_LAN_IP:2222, lifetime 3600, description" \
  json_check "$OUT" "d['protocol'] == 'upnp' and d['external_ip'] == '$LAB_WAN_IP' and d['external_port'] == 2222
and d['internal_ip'] == '$LAB_LAN_IP' and d['internal_port'] == 2222 and d['transport'] == 'tcp'
and d['lifetime'] == 3600 and d['description'] == 'seed ssh' and d['igd'] == '$LAB_ROOTDESC_URL'"
lab_step "after add: inet reaches lan:2222 through $LAB_WAN_IP:2222 (token arrived)" lab_prove_tcp 2222 reachable
lab_step "after add: the connection came from the outside host $LAB_INET_IP" test "${LAB_PEER:-}" = "$LAB_INET_IP"
lab_step "after add: upnpc lists TCP 2222->$LAB_LAN_IP:2222" lab_listed TCP 2222 2222
np --json list
lab_step "list --json shows it: one object per line with the fields" list_has "$OUT" 2222 tcp 2222

np delete 2222/tcp
lab_step "delete 2222/tcp exits 0" test "$RC" -eq 0
lab_step "after delete: $LAB_WAN_IP:2222 refused from inet" lab_prove_tcp 2222 unreachable
lab_step "after delete: upnpc no longer lists it" lab_unlisted TCP 2222 2222
np --json list
lab_step "after delete: list shows it gone" test "$RC" -eq 0 -a "$(lines "$OUT")" -eq 0

# --- UDP, another external port ----------------------------------------------------------------
np --json add 9090:19090/udp
lab_step "add 9090:19090/udp: external 19090 -> internal 9090" \
  json_check "$OUT" "d['transport'] == 'udp' and d['external_port'] == 19090 and d['internal_port'] == 9090"
lab_step "after add: a datagram from inet to $LAB_WAN_IP:19090 reaches lan:9090" lab_prove_udp 9090 reachable 19090
np delete 9090:19090/udp
lab_step "delete 9090:19090/udp exits 0" test "$RC" -eq 0
lab_step "... upnpc no longer lists UDP 19090" lab_unlisted UDP 19090 9090

# --- add --keep over UPnP: renewed at half the lease, removed on SIGTERM (IGD:2 run only) ---------
if [[ $version == 2 ]]; then
  lab_keep_start upnp --protocol upnp add 3333/tcp --keep --lifetime 8
  lab_step "--keep 3333/tcp: mapped" lab_wait_until 10 lab_has_event "$KEEP_OUT" mapped
  lab_step "--keep: renewed within 10 s (lease 8 s -> renewal at 4 s)" lab_wait_until 10 lab_has_event "$KEEP_OUT" renewed
  lab_step "--keep: the renewed mapping lets inet in" lab_prove_tcp 3333 reachable
  lab_keep_stop
  lab_step "--keep: SIGTERM removes the mapping and exits 0" \
    bash -c '[[ $1 -eq 0 ]] && grep -q "\"event\":\"removed\"" "$2"' _ "$KEEP_RC" "$KEEP_OUT"
  lab_step "--keep: upnpc no longer lists it" lab_unlisted TCP 3333 3333
fi

# --- errors carry the gateway's own code and text ----------------------------------------------
np --json add 80/tcp
lab_step "a port the gateway's rules forbid: exit 1 with UPnPError 606 and its text" \
  json_check "$OUT" "d['error']['code'] == 606 and d['error']['name'] == 'ActionNotAuthorized' and d['error']['gateway_text'] != ''"

# --- --igd skips discovery; 100 mappings -------------------------------------------------------
igd=(--igd "$LAB_ROOTDESC_URL")
start=$(_lab_now_us)
failed=0
for i in $(seq 0 99); do
  lab_natpunch --protocol upnp "${igd[@]}" --timeout 10 add "$((20000 + i))/tcp" --lifetime 3600 >/dev/null
  [[ $RC -eq 0 ]] || failed=$((failed + 1))
done
echo "# 100 adds with --igd in $(_lab_since "$start") s"
lab_step "100 adds with --igd, all exit 0" test "$failed" -eq 0
# IGD:1 lists entry by entry: ~0.2 s per GetGenericPortMappingEntry with 100 rules in place (upnpc -l
# takes as long), so the list and the range delete that lists first get a longer --timeout.
LAB_NP_TIMEOUT=90
np "${igd[@]}" --timeout 60 --json list
lab_step "list shows all 100 (one JSON line each)" test "$(lines "$OUT")" -eq 100
lab_step "... including the first and the last" bash -c "$(declare -f list_has); LAB_LAN_IP=$LAB_LAN_IP; list_has '$OUT' 20000 tcp 20000 && list_has '$OUT' 20099 tcp 20099"
# upnpc -L (GetListOfPortMappings; miniupnpd answers it in IGD:1 mode too) is the quick witness;
# upnpc -l (entry by entry) takes ~20 s for 100 mappings here.
witness_count() { lab_lan timeout 20 upnpc -u "$LAB_ROOTDESC_URL" -L 2>&1 | grep -Ec "TCP +2[0-9]{4}->$LAB_LAN_IP:" || true; }
lab_step "upnpc agrees: 100 TCP mappings" test "$(witness_count)" -eq 100
# Each delete costs miniupnpd ~0.5 s with 100 rules in place; IGD:1 has no DeletePortMappingRange, so
# natpunch deletes entry by entry there: a short range keeps the test's time in bounds.
if [[ $version == 2 ]]; then lo=20000 hi=20049; else lo=20095 hi=20099; fi
np "${igd[@]}" --timeout 60 delete-range "$lo-$hi/tcp"
LAB_NP_TIMEOUT=20
lab_step "delete-range $lo-$hi/tcp exits 0" test "$RC" -eq 0
lab_step "after delete-range: upnpc sees $((100 - (hi - lo + 1))) left" test "$(witness_count)" -eq $((100 - (hi - lo + 1)))

# --- trust: a --igd that is not an http IP literal is refused before anything is sent -----------
np --igd "http://gateway.example:5000/rootDesc.xml" list
lab_step "--igd with a host name: a usage error (exit 2), never resolved" test "$RC" -eq 2

lab_finish

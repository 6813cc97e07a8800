#!/usr/bin/env bash
# natpunch's UPnP IPv6 pinholes (WANIPv6FirewallControl) against miniupnpd in the IPv6 lab:
# add opens this host's own address and port to inet, update renews, delete closes, check and status
# answer; the witness is a connection from inet to [LAB_LAN_IP6]:PORT, and the gateway's own rule.
#
#   sudo bash tests/lab/upnp_pinhole_test.sh path/to/natpunch
#
# Exit 0 = all ok, 77 = skipped (no root, no IPv6 in namespaces), else failed.
set -euo pipefail
export LAB_IPV6=1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"

if [[ $# -ne 1 ]]; then
  echo "usage: $0 NATPUNCH_BINARY" >&2
  exit 2
fi
NATPUNCH=$(realpath -e "$1" 2>/dev/null || echo "$1")
lab_require
if [[ ! -x $NATPUNCH ]]; then
  echo "not ok - natpunch binary '$NATPUNCH' is missing or not executable (build the 'natpunch' target)"
  exit 1
fi

url="http://[$LAB_GW_IP6]:$LAB_HTTP_PORT/rootDesc.xml"
np() { lab_natpunch --igd "$url" --timeout 10 "$@"; }
json_check() { lab_json_check "$@"; }
# lines_check TEXT EXPR: EXPR over `ds`, every JSON line of TEXT.
lines_check() {
  python3 - "$1" "$2" <<'PY'
import json, sys
ds = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
if not eval("(" + sys.argv[2] + ")", {}, {"ds": ds}):
    sys.exit(f"# {sys.argv[2]} is false for {ds}")
PY
}
# The pinhole record (pinhole list) of this run, not the invoking user's.
export NATPUNCH_STATE_DIR

echo "# natpunch: $NATPUNCH"
lab_up
NATPUNCH_STATE_DIR=$LAB_DIR/state
echo "# lab $LAB_PREFIX up in ${LAB_UP_SECONDS}s (gateway $LAB_GW_IP6, LAN host $LAB_LAN_IP6)"

np --json pinhole status
lab_step "pinhole status: firewall on, inbound pinholes allowed" \
  json_check "$OUT" "d['firewall_enabled'] and d['inbound_pinhole_allowed'] and d['gateway'] == '$LAB_GW_IP6'"
lab_step "before add: [$LAB_LAN_IP6]:8443/tcp is not reachable from inet" lab_prove_tcp6 8443 unreachable

np --json pinhole add 8443/tcp --lifetime 600
lab_step "pinhole add 8443/tcp exits 0" test "$RC" -eq 0
lab_step "pinhole add --json: an id, this host's address $LAB_LAN_IP6, port 8443, lifetime 600" \
  json_check "$OUT" "isinstance(d['id'], int) and d['internal_ip'] == '$LAB_LAN_IP6' and d['internal_port'] == 8443
and d['transport'] == 'tcp' and d['lifetime'] == 600"
id=$(lab_json_get "$OUT" id || true)
id=${id:-1}
lab_step "after add: inet reaches [$LAB_LAN_IP6]:8443 (token arrived)" lab_prove_tcp6 8443 reachable
lab_step "after add: the gateway's ruleset holds the pinhole" lab_pinhole_listed tcp 8443

np --json pinhole check "$id"
lab_step "pinhole check $id: exit 0, a packet count" json_check "$OUT" "d['id'] == $id and isinstance(d['packets'], int)"
np pinhole update "$id" --lifetime 1200
lab_step "pinhole update $id --lifetime 1200 exits 0" test "$RC" -eq 0
lab_step "after update: still reachable" lab_prove_tcp6 8443 reachable

np pinhole delete "$id"
lab_step "pinhole delete $id exits 0" test "$RC" -eq 0
np --json pinhole list
lab_step "pinhole list after delete: exit 0, the record no longer holds pinhole $id" \
  bash -c '[[ $1 -eq 0 && -z $2 ]]' _ "$RC" "$OUT"
lab_step "after delete: [$LAB_LAN_IP6]:8443 unreachable from inet" lab_prove_tcp6 8443 unreachable
lab_step "after delete: the ruleset no longer holds it" lab_pinhole_unlisted tcp 8443
np --json pinhole delete "$id"
lab_step "deleting it again: the gateway's refusal, with its code and text (exit 1)" \
  json_check "$OUT" "d['error']['category'] == 'upnp-firewall' and d['error']['gateway_text'] != ''"

# --- without --igd: SSDP over IPv6 (ff02::c, ff05::c, and the IPv6 default gateway by unicast) ----
lab_natpunch --json --timeout 10 discover
lab_step "discover: the IGD answered over IPv6 from $LAB_GW_IP6 (default gateway), with IPv6 pinholes" \
  lines_check "$OUT" "any(d.get('responder') == '$LAB_GW_IP6' and d['default_gateway'] and d['ipv6_firewall']
and d['location'] == '$url' for d in ds)"
lab_step "discover: and over IPv4 from $LAB_GW_IP" lines_check "$OUT" "any(d.get('responder') == '$LAB_GW_IP' for d in ds)"

lab_natpunch --json --timeout 10 pinhole add 8444/tcp --lifetime 600
lab_step "pinhole add 8444/tcp without --igd: found over IPv6, exit 0" \
  json_check "$OUT" "d['gateway'] == '$LAB_GW_IP6' and d['internal_ip'] == '$LAB_LAN_IP6' and d['internal_port'] == 8444"
id2=$(lab_json_get "$OUT" id || true)
id2=${id2:-2}
lab_step "after add: inet reaches [$LAB_LAN_IP6]:8444" lab_prove_tcp6 8444 reachable
lab_natpunch --json --timeout 10 pinhole add 8445/udp --lifetime 600
id3=$(lab_json_get "$OUT" id || true)
id3=${id3:-3}

lab_natpunch --json --timeout 10 pinhole list
lab_step "pinhole list: both recorded pinholes, each with the gateway's packet count" \
  lines_check "$OUT" "sorted((d['id'], d['internal_port'], d['transport']) for d in ds) == sorted([($id2, 8444, 'tcp'), ($id3, 8445, 'udp')])
and all(isinstance(d['packets'], int) and 0 < d['expires_in'] <= 600 and d['gateway'] == '$LAB_GW_IP6' for d in ds)"

# Closed behind the record's back (another state dir = another program): list asks, hears that the ID is
# unknown (miniupnpd 2.3.1 says InvalidArgs 402 where the spec says NoSuchEntry 704), forgets it.
NATPUNCH_STATE_DIR=$LAB_DIR/other lab_natpunch --timeout 10 pinhole delete "$id3"
lab_natpunch --timeout 10 pinhole list
lab_step "pinhole list: a pinhole closed elsewhere is found gone and forgotten" \
  bash -c "grep -q '^1 pinhole(s) opened by natpunch' <<<\"\$1\" && grep -q '1 no longer held by the gateway, forgotten' <<<\"\$1\"" _ "$OUT"
lab_step "the record file now holds only pinhole $id2" \
  bash -c "[[ \$(grep -c '^pinhole' '$NATPUNCH_STATE_DIR/state') -eq 1 ]] && grep -q \"^pinhole.*\$(printf '\\t%s\\t' $id2)\" '$NATPUNCH_STATE_DIR/state'"
lab_natpunch --timeout 10 pinhole delete "$id2"
lab_step "pinhole delete $id2 (found over IPv6): [$LAB_LAN_IP6]:8444 unreachable again" lab_prove_tcp6 8444 unreachable

# --- two prefixes on the LAN and a link-local default route, as many home networks have (a ULA and the
# provider's prefix): the gateway answers each of our sources from its own address in that prefix and
# its LOCATION names one of them; natpunch searches from one source per prefix, so one answer matches.
lab_gw ip -6 addr add 2001:db8:86::1/64 dev "$LAB_IF_GW_LAN" nodad
lab_lan ip -6 addr add 2001:db8:86::250/64 dev "$LAB_IF_LAN" nodad
lab_lan ip -6 route replace default via "$LAB_GW_LL6" dev "$LAB_IF_LAN"
lab_reboot_gateway
lab_natpunch --json --timeout 10 pinhole status
lab_step "two LAN prefixes, default route via $LAB_GW_LL6: pinhole status finds the IGD over IPv6" \
  json_check "$OUT" "d['gateway'] == '$LAB_GW_IP6' and d['firewall_enabled']"

# Over IPv4 the gateway refuses pinholes (606); natpunch says so before asking.
lab_natpunch --igd "$LAB_ROOTDESC_URL" --timeout 10 pinhole add 8443/tcp
lab_step "pinhole add through the IPv4 description URL: a usage error naming IPv6 (exit 2)" \
  bash -c "[[ $RC -eq 2 ]] && grep -q 'IPv6' <<<\"\$1\"" _ "$ERR"

lab_finish

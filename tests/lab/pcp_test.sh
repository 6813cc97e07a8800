#!/usr/bin/env bash
# Integration test of the natpunch CLI over PCP (RFC 6887) against the real miniupnpd in the lab,
# IPv4 (NAT44 through 11.0.0.5) and IPv6 (a firewall pinhole to the LAN host's own address).
#
#   sudo bash tests/lab/pcp_test.sh path/to/natpunch
#
# As in natpmp_test.sh every claim is checked by someone else: inet must reach the port (and get the
# LAN listener's token), and miniupnpd's own state (upnpc -l for IPv4, its nft rule for IPv6 pinholes)
# must show the mapping or not. Exit 0 = all ok, 77 = skipped, else failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"

if [[ $# -ne 1 ]]; then
  echo "usage: $0 NATPUNCH_BINARY" >&2
  exit 2
fi
NATPUNCH=$(realpath -e "$1" 2>/dev/null || echo "$1")
LAB_IPV6=1
lab_require upnpc
if [[ ! -x $NATPUNCH ]]; then
  echo "not ok - natpunch binary '$NATPUNCH' is missing or not executable (build the 'natpunch' target)"
  exit 1
fi

pcp() { lab_natpunch --protocol pcp --timeout 5 "$@"; }

echo "# natpunch: $NATPUNCH"
lab_up
echo "# lab $LAB_PREFIX up in ${LAB_UP_SECONDS}s (gateway $LAB_GW_IP / $LAB_GW_IP6, public $LAB_WAN_IP)"

# --- IPv4: create ---------------------------------------------------------------------------------
lab_step "before any mapping: inet cannot reach 11.0.0.5:8080" lab_prove_tcp 8080 unreachable
pcp --json add 8080/tcp --lifetime 600
lab_step "add 8080/tcp over PCP exits 0" test "$RC" -eq 0
lab_step "add --json: protocol pcp, external $LAB_WAN_IP:8080, internal $LAB_LAN_IP:8080, tcp" \
  lab_json_check "$OUT" "d['protocol'] == 'pcp' and d['external_ip'] == '$LAB_WAN_IP' and d['external_port'] == 8080 and d['internal_ip'] == '$LAB_LAN_IP' and d['internal_port'] == 8080 and d['transport'] == 'tcp'"
lab_step "add --json: lifetime 600 granted, epoch and a 24-hex-digit nonce present" \
  lab_json_check "$OUT" "d['lifetime'] == 600 and isinstance(d['epoch'], int) and len(d['nonce']) == 24 and int(d['nonce'], 16) >= 0"
nonce=$(lab_json_get "$OUT" nonce)
lab_step "inet reaches lan:8080 through 11.0.0.5:8080" lab_prove_tcp 8080 reachable
lab_step "miniupnpd lists TCP 8080->$LAB_LAN_IP:8080 (upnpc, the independent witness)" lab_listed TCP 8080 8080

# --- IPv4: renew keeps the port; a stranger's nonce cannot delete ----------------------------------
pcp --json add 8080/tcp --lifetime 900 --nonce "$nonce"
lab_step "renew with the same nonce: same external port 8080, new lifetime 900" \
  lab_json_check "$OUT" "d['external_port'] == 8080 and d['lifetime'] == 900 and d['nonce'] == '$nonce'"
pcp --json delete 8080/tcp --nonce 000000000000000000000000
lab_step "delete with another nonce is refused with the gateway's code (exit 1, NOT_AUTHORIZED)" \
  test "$RC" -eq 1
lab_step "  ... and its JSON error names NOT_AUTHORIZED" grep -q '"name":"NOT_AUTHORIZED"' <<<"$OUT"
lab_step "the mapping survived the refused delete" lab_prove_tcp 8080 reachable

# --- PREFER_FAILURE: miniupnpd 2.3.1 ignores it and grants another port; natpunch must refuse that
# answer and remove the mapping the gateway made anyway ----------------------------------------------
pcp --json add 9090:8080/tcp --lifetime 600 --prefer-failure
lab_step "add 9090:8080/tcp --prefer-failure while 8080 is taken: refused (exit 4, bad mapping)" test "$RC" -eq 4
# No TCP mapping to lan:9090 on any external port (the witness must answer, else status 2).
nothing_maps_to_9090() {
  _lab_witness_list || return 2
  ! grep -Eq "^ *[0-9]+ TCP +[0-9]+->$LAB_LAN_IP:9090 " <<<"$LAB_WITNESS_LIST"
}
lab_step "  ... and the port the gateway chose instead is not left mapped to 9090" nothing_maps_to_9090
lab_step "  ... and the mapping that held 8080 was not touched by that undo" lab_prove_tcp 8080 reachable

# --- IPv4: UDP, human output ----------------------------------------------------------------------
pcp add 5353:15353/udp --lifetime 600
lab_step "add 5353:15353/udp (human output) exits 0" test "$RC" -eq 0
lab_step "human output names the mapping (recorded: no nonce to keep)" \
  bash -c 'grep -q "mapped udp $1:15353 -> $2:5353" <<<"$3" && ! grep -q -- "--nonce" <<<"$3"' _ "$LAB_WAN_IP" "$LAB_LAN_IP" "$OUT"
lab_step "inet reaches lan:5353/udp through 11.0.0.5:15353" lab_prove_udp 5353 reachable 15353
pcp delete 5353/udp
lab_step "delete 5353/udp by its port (the record has its nonce) exits 0" test "$RC" -eq 0
lab_step "inet can no longer reach 11.0.0.5:15353/udp" lab_prove_udp 5353 unreachable 15353
# With no record to write (no HOME and no state directory), add says how to delete it: by its nonce.
HOME= XDG_STATE_HOME= NATPUNCH_STATE_DIR= pcp add 5353:15353/udp --lifetime 600
udp_nonce=$(grep -o -- '--nonce [0-9a-f]\{24\}' <<<"$OUT" | awk '{print $2}')
lab_step "no record: the human output tells how to delete it, with its nonce" test -n "$udp_nonce"
lab_step "  ... and warns that the record could not be used" grep -q "warning: the record of mappings" <<<"$ERR"
HOME= XDG_STATE_HOME= NATPUNCH_STATE_DIR= pcp delete 5353/udp --nonce "$udp_nonce"
lab_step "delete 5353/udp with its nonce exits 0" test "$RC" -eq 0
lab_step "inet can no longer reach 11.0.0.5:15353/udp" lab_prove_udp 5353 unreachable 15353

# --- IPv4: delete ---------------------------------------------------------------------------------
pcp --json delete 8080/tcp --nonce "$nonce"
lab_step "delete 8080/tcp with its nonce exits 0" test "$RC" -eq 0
lab_step "delete --json says protocol pcp, deleted" lab_json_check "$OUT" "d['protocol'] == 'pcp' and d['deleted'] is True"
lab_step "inet can no longer connect to 11.0.0.5:8080" lab_prove_tcp 8080 unreachable
lab_step "miniupnpd no longer lists it" lab_unlisted TCP 8080 8080

# --- auto: PCP first (miniupnpd speaks it); the record names the mapping ---------------------------
lab_natpunch --timeout 5 --json add 8181/tcp --lifetime 600
lab_step "--protocol auto picks PCP on a PCP gateway" lab_json_check "$OUT" "d['protocol'] == 'pcp'"
auto_nonce=$(lab_json_get "$OUT" nonce)
lab_natpunch --timeout 5 --json add 8181/tcp --lifetime 700
lab_step "a second auto add renews the recorded mapping: same nonce, same port, lifetime 700" \
  lab_json_check "$OUT" "d['protocol'] == 'pcp' and d['nonce'] == '$auto_nonce' and d['external_port'] == 8181 and d['lifetime'] == 700"
lab_step "  ... and the gateway holds one mapping of 8181, not two" lab_listed TCP 8181 8181
lab_natpunch --timeout 5 --json list
lab_step "list shows it, recorded with its nonce and time left" \
  lab_json_check "$OUT" "d['protocol'] == 'pcp' and d['nonce'] == '$auto_nonce' and d['internal_port'] == 8181 and 0 < d['expires_in'] <= 700"
lab_natpunch --timeout 5 delete 8181/tcp
lab_step "auto delete by port alone (no --nonce) finds the PCP mapping in the record and deletes it" test "$RC" -eq 0
lab_step "  ... and the mapping is really gone (upnpc)" lab_unlisted TCP 8181 8181
lab_natpunch --timeout 5 delete 8181/tcp
lab_step "deleting it again: natpunch has no record of it (exit 2) and says how to name another's" \
  bash -c '[[ $1 -eq 2 ]] && grep -q -- "--nonce HEX" <<<"$2"' _ "$RC" "$ERR"
lab_natpunch --timeout 5 --json add 8181/tcp --lifetime 600
auto_nonce=$(lab_json_get "$OUT" nonce)
lab_natpunch --timeout 5 delete 8181/tcp --nonce "$auto_nonce"
lab_step "auto delete with --nonce speaks PCP and succeeds" test "$RC" -eq 0
lab_step "  ... and the mapping is really gone" lab_unlisted TCP 8181 8181

# --- announce, PEER, FILTER, THIRD_PARTY: what miniupnpd 2.3.1 does with each ----------------------
pcp --json announce
lab_step "announce: the gateway speaks PCP (exit 0, its epoch)" \
  lab_json_check "$OUT" "d['protocol'] == 'pcp' and d['gateway'] == '$LAB_GW_IP' and isinstance(d['epoch'], int)"
pcp --json peer 40000/udp "$LAB_INET_IP:7000" --lifetime 600
lab_step "peer 40000/udp $LAB_INET_IP:7000: SUCCESS, the public address the remote peer sees" \
  lab_json_check "$OUT" "d['protocol'] == 'pcp' and d['external_ip'] == '$LAB_WAN_IP' and d['internal_port'] == 40000"
peer_nonce=$(lab_json_get "$OUT" nonce)
peer_port=$(lab_json_get "$OUT" external_port)
pcp --json peer 40000/udp "$LAB_INET_IP:7000" --lifetime 900 --nonce "$peer_nonce"
lab_step "peer renewed with its nonce: same nonce and public port $peer_port, lifetime 900" \
  lab_json_check "$OUT" "d['nonce'] == '$peer_nonce' and d['external_port'] == ${peer_port:-0} and d['lifetime'] == 900"
pcp --json add 8282/tcp --lifetime 600 --filter "$LAB_INET_IP/32"
lab_step "add --filter $LAB_INET_IP/32: accepted (miniupnpd echoes FILTER but does not enforce it)" test "$RC" -eq 0
filter_nonce=$(lab_json_get "$OUT" nonce)
pcp --json delete 8282/tcp --nonce "$filter_nonce"
lab_step "  ... and deleted" test "$RC" -eq 0
pcp --json add 8383/tcp --third-party 192.168.86.77
lab_step "add --third-party: refused with the gateway's own code (exit 1, UNSUPP_OPTION: pcp_allow_thirdparty=no)" \
  bash -c '[[ $0 -eq 1 ]] && grep -q "\"name\":\"UNSUPP_OPTION\"" <<<"$1"' "$RC" "$OUT"

# --- IPv6: a pinhole --------------------------------------------------------------------------------
lab_step "before any pinhole: inet cannot reach [$LAB_LAN_IP6]:8443" lab_prove_tcp6 8443 unreachable
lab_natpunch --protocol pcp --gateway "[$LAB_GW_IP6]" --timeout 5 --json add 8443/tcp --lifetime 600
lab_step "add over IPv6 (--gateway [$LAB_GW_IP6]) exits 0" test "$RC" -eq 0
lab_step "IPv6 add --json: the external address is the LAN host's own ($LAB_LAN_IP6), port 8443" \
  lab_json_check "$OUT" "d['external_ip'] == '$LAB_LAN_IP6' and d['external_port'] == 8443 and d['internal_ip'] == '$LAB_LAN_IP6'"
v6_nonce=$(lab_json_get "$OUT" nonce)
lab_step "inet reaches [$LAB_LAN_IP6]:8443 through the pinhole" lab_prove_tcp6 8443 reachable
lab_step "miniupnpd holds the pinhole rule" lab_pinhole_listed TCP 8443
lab_natpunch --protocol pcp --gateway "[$LAB_GW_IP6]" --timeout 5 delete 8443/tcp --nonce "$v6_nonce"
lab_step "delete the IPv6 pinhole exits 0" test "$RC" -eq 0
lab_step "inet can no longer reach [$LAB_LAN_IP6]:8443" lab_prove_tcp6 8443 unreachable
lab_step "miniupnpd's pinhole rule is gone" lab_pinhole_unlisted TCP 8443

# --- IPv6: --keep renews a pinhole, and removes it (or, refused, cuts its lifetime) on exit ----------
# miniupnpd grants at least 120 s, so the first renewal comes after 60 s: the one long wait of this
# script. miniupnpd 2.3.1 refuses (NOT_AUTHORIZED) every delete of a pinhole it has renewed, whatever
# the nonce; natpunch then renews it with the shortest lifetime so it lapses by itself (event
# "expiring"). A miniupnpd that deletes it instead must show the pinhole gone (event "removed").
lab_keep_start v6 --protocol pcp --gateway "[$LAB_GW_IP6]" add 8444/tcp --keep --lifetime 120
lab_step "IPv6 --keep 8444/tcp: mapped" lab_wait_until 5 lab_has_event "$KEEP_OUT" mapped
lab_step "IPv6 --keep: inet reaches [$LAB_LAN_IP6]:8444" lab_prove_tcp6 8444 reachable
lab_step "IPv6 --keep: renewed within 70 s (lifetime 120 -> renewal at 60 s)" \
  lab_wait_until 70 lab_has_event "$KEEP_OUT" renewed
lab_step "IPv6 --keep: the renewed pinhole still lets inet in" lab_prove_tcp6 8444 reachable
lab_keep_stop
keep6_exit_ok() {
  if [[ $KEEP_RC -eq 0 ]]; then
    lab_has_event "$KEEP_OUT" removed && lab_pinhole_unlisted TCP 8444
  else
    # The known miniupnpd 2.3.1 refusal: exit 1 with the gateway's code, and the lifetime cut.
    [[ $KEEP_RC -eq 1 ]] && grep -q '"name":"NOT_AUTHORIZED"' "$KEEP_OUT" &&
      python3 - "$KEEP_OUT" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"event"')]
cut = [e for e in events if e["event"] == "expiring"]
sys.exit(0 if cut and 0 < cut[-1]["lifetime"] <= 120 else 1)
PY
  fi
}
lab_step "IPv6 --keep: SIGTERM removes the pinhole, or (miniupnpd 2.3.1 refusing) cuts it to <= 120 s" keep6_exit_ok
echo "# IPv6 --keep ended with status $KEEP_RC; events: $(grep -o '"event":"[a-z_]*"' "$KEEP_OUT" | tr '\n' ' ')"

# --- a NAT-PMP-only request of PCP things is refused before sending ---------------------------------
lab_natpunch --protocol natpmp --gateway "[$LAB_GW_IP6]" --timeout 5 add 8443/tcp
lab_step "NAT-PMP to an IPv6 gateway is a usage error (exit 2)" test "$RC" -eq 2
lab_natpunch --gateway "[$LAB_GW_IP6]" --timeout 5 external-ip
lab_step "external-ip (NAT-PMP) to an IPv6 gateway is a usage error (exit 2), not a crash" test "$RC" -eq 2

lab_finish

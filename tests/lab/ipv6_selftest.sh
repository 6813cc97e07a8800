#!/usr/bin/env bash
# Self-test of the IPv6 lab (LAB_IPV6=1), with tests/lab/pcp_probe.py as the PCP client: a hand-built
# RFC 6887 client that is a lab diagnostic, not natpunch. If this fails, a failure of natpunch's PCP
# client in the IPv6 lab says nothing about natpunch.
#
#   sudo bash tests/lab/ipv6_selftest.sh
#
# What it proves: IPv6 on lan/gw/inet with static addresses usable at once; the gateway drops new
# inbound IPv6 connections (no NAT, no port forwarding) until miniupnpd, asked over PCP on IPv6, opens
# a pinhole to the LAN host's own address; the pinhole is gone after a PCP delete (lifetime 0, same
# nonce). The same over IPv4 (PCP, NAT). And it pins the miniupnpd 2.3.1 behaviours a PCP client
# meets on IPv6 (see "Things learnt" in README.md): a "not ok" there means the gateway changed.
# shellcheck disable=SC2317  # the helpers below run through lab_step, which shellcheck cannot follow
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"
export LAB_IPV6=1
lab_require upnpc

# pcp_probe in lan; its one-line answer goes to stdout ("result=0 result_name=SUCCESS ... lifetime=...").
probe() { lab_lan timeout 15 python3 "$HERE/pcp_probe.py" "$@" 2>&1 || true; }
# field NAME <<<"$answer" -> the value of NAME=... in a probe answer
field() { grep -o "\b$1=[^ ]*" | head -n1 | cut -d= -f2-; }
is() { [[ $1 == "$2" ]] || { echo "#   got '$1', expected '$2'" >&2; return 1; }; }
no_tentative() {
  local ns
  for ns in "$LAB_NS_LAN" "$LAB_NS_GW" "$LAB_NS_INET"; do
    if grep -q tentative <<<"$(ip netns exec "$ns" ip -6 addr)"; then return 1; fi
  done
}
lan_addressed6() {
  grep -q " $LAB_LAN_IP6/64 " <<<"$(lab_lan ip -6 addr)" &&
    grep -q "default via $LAB_GW_IP6" <<<"$(lab_lan ip -6 route)"
}
# An outgoing IPv6 connection from lan to inet: the address inet sees must be lan's own (no NAT66).
outbound6_peer() {
  local d lpid
  d=$(mktemp -d "$LAB_DIR/out6.XXXXXX")
  ip netns exec "$LAB_NS_INET" timeout 5 python3 - "$LAB_INET_IP6" "$d" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET6)
s.bind((sys.argv[1], 7000))
s.listen(1)
s.settimeout(4)
open(sys.argv[2] + "/ready", "w").close()
c, peer = s.accept()
open(sys.argv[2] + "/peer", "w").write(peer[0])
EOF
  lpid=$!
  _lab_wait_file "$d/ready" || return 1
  lab_lan timeout 5 python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], 7000), timeout=3).close()' \
    "$LAB_INET_IP6" || true
  wait "$lpid" 2>/dev/null || true
  OUT6_PEER=$(cat "$d/peer" 2>/dev/null || true)
  [[ $OUT6_PEER == "$LAB_LAN_IP6" ]]
}

N1=6e6174707563682d6c616201   # nonces: fixed, so a delete names the same mapping
N2=6e6174707563682d6c616202
N3=6e6174707563682d6c616203
N4=6e6174707563682d6c616204

# --- bring-up ----------------------------------------------------------------------------------
lab_up
echo "# lab $LAB_PREFIX up in ${LAB_UP_SECONDS}s (IPv6: lan $LAB_LAN_IP6, gw $LAB_GW_IP6 / $LAB_WAN_IP6," \
  "gw link-local $LAB_GW_LL6, inet $LAB_INET_IP6)"
lab_step "lan has $LAB_LAN_IP6 and a default route via $LAB_GW_IP6" lan_addressed6
lab_step "no address is tentative (DAD off: usable at once)" no_tentative
lab_step "gw forwards IPv6" test "$(lab_gw sysctl -n net.ipv6.conf.all.forwarding)" = 1
lab_step "inet routes $LAB_LAN_PREFIX6 via $LAB_WAN_IP6" \
  grep -q "${LAB_LAN_PREFIX6} via $LAB_WAN_IP6" <<<"$(lab_inet ip -6 route)"
lab_step "outbound IPv6 leaves unchanged (inet sees $LAB_LAN_IP6: no NAT66)" outbound6_peer
announce=$(probe announce "$LAB_GW_IP6")
echo "# ANNOUNCE over IPv6: $announce"
lab_step "miniupnpd answers PCP over IPv6 at [$LAB_GW_IP6]:5351" is "$(field result_name <<<"$announce")" SUCCESS

# --- PCP MAP over IPv6: a pinhole --------------------------------------------------------------
lab_step "no pinhole: tcp6 8080 unreachable from inet" lab_prove_tcp6 8080 unreachable
t0=$(_lab_now_us)
map=$(probe map "$LAB_GW_IP6" --proto tcp --internal-port 8080 --lifetime 600 --nonce "$N1")
echo "# MAP tcp 8080 over IPv6 ($(_lab_since "$t0")s): $map"
lab_step "PCP MAP over IPv6: SUCCESS" is "$(field result_name <<<"$map")" SUCCESS
lab_step "... assigned [$LAB_LAN_IP6]:8080 (the host's own address and port)" \
  is "$(field external_ip <<<"$map"):$(field external_port <<<"$map")" "$LAB_LAN_IP6:8080"
lab_step "... for the lifetime asked (600 s)" is "$(field lifetime <<<"$map")" 600
lab_step "the gateway's ruleset holds the pinhole" lab_pinhole_listed tcp 8080
lab_step "pinhole: tcp6 8080 reachable from inet" lab_prove_tcp6 8080 reachable
lab_step "... and the listener saw the outside host $LAB_INET_IP6 (no NAT)" test "$LAB_PEER" = "$LAB_INET_IP6"
lab_step "other ports stay closed: tcp6 8081 unreachable" lab_prove_tcp6 8081 unreachable
wrong=$(probe map "$LAB_GW_IP6" --proto tcp --internal-port 8080 --lifetime 0 --nonce "$N2")
lab_step "delete with another nonce: NOT_AUTHORIZED" is "$(field result_name <<<"$wrong")" NOT_AUTHORIZED
lab_step "... and the pinhole still works" lab_prove_tcp6 8080 reachable
del=$(probe map "$LAB_GW_IP6" --proto tcp --internal-port 8080 --lifetime 0 --nonce "$N1")
echo "# delete: $del"
lab_step "PCP delete (lifetime 0, same nonce): SUCCESS, lifetime 0" \
  is "$(field result_name <<<"$del") $(field lifetime <<<"$del")" "SUCCESS 0"
lab_step "the gateway's ruleset no longer holds it" lab_pinhole_unlisted tcp 8080
lab_step "after delete: tcp6 8080 unreachable" lab_prove_tcp6 8080 unreachable

map=$(probe map "$LAB_GW_IP6" --proto udp --internal-port 9090 --lifetime 600 --nonce "$N3")
lab_step "PCP MAP udp 9090 over IPv6: SUCCESS" is "$(field result_name <<<"$map")" SUCCESS
lab_step "pinhole: udp6 9090 reachable from inet" lab_prove_udp6 9090 reachable
probe map "$LAB_GW_IP6" --proto udp --internal-port 9090 --lifetime 0 --nonce "$N3" >/dev/null
lab_step "after delete: udp6 9090 silent" lab_prove_udp6 9090 unreachable

# --- PCP over IPv4 in the same lab: NAT ---------------------------------------------------------
lab_step "IPv4 no mapping: tcp 8082 unreachable" lab_prove_tcp 8082 unreachable
map=$(probe map "$LAB_GW_IP" --proto tcp --internal-port 8082 --lifetime 600 --nonce "$N4")
echo "# MAP tcp 8082 over IPv4: $map"
lab_step "PCP MAP over IPv4 (client ::ffff:$LAB_LAN_IP): SUCCESS, $LAB_WAN_IP:8082" \
  is "$(field result_name <<<"$map") $(field external_ip <<<"$map"):$(field external_port <<<"$map")" \
  "SUCCESS $LAB_WAN_IP:8082"
lab_step "IPv4 mapping: tcp 8082 reachable from inet through $LAB_WAN_IP" lab_prove_tcp 8082 reachable
lab_step "upnpc lists the PCP mapping" lab_listed TCP 8082 8082
del=$(probe map "$LAB_GW_IP" --proto tcp --internal-port 8082 --lifetime 0 --nonce "$N4")
lab_step "PCP delete over IPv4: SUCCESS" is "$(field result_name <<<"$del")" SUCCESS
lab_step "IPv4 after delete: tcp 8082 unreachable" lab_prove_tcp 8082 unreachable

# --- miniupnpd 2.3.1 as a PCP server on IPv6: pinned behaviours (README "Things learnt") -----------
m=$(probe map "$LAB_GW_IP6" --proto tcp --internal-port 8083 --lifetime 1 --nonce "$N1")
lab_step "a 1 s lifetime is raised to miniupnpd's minimum, 120 s (IPv6)" is "$(field lifetime <<<"$m")" 120
probe map "$LAB_GW_IP6" --proto tcp --internal-port 8083 --lifetime 0 --nonce "$N1" >/dev/null
m=$(probe map "$LAB_GW_IP" --proto tcp --internal-port 8083 --lifetime 1 --nonce "$N1")
lab_step "... and over IPv4 too" is "$(field lifetime <<<"$m")" 120
probe map "$LAB_GW_IP" --proto tcp --internal-port 8083 --lifetime 0 --nonce "$N1" >/dev/null
m=$(probe map "$LAB_GW_IP6" --proto tcp --internal-port 8084 --client-ip fd00:86::251)
lab_step "a client IP other than the sender's: ADDRESS_MISMATCH" is "$(field result_name <<<"$m")" ADDRESS_MISMATCH
m=$(probe peer "$LAB_GW_IP6" --proto tcp --internal-port 8084 --peer "[$LAB_INET_IP6]:4000")
lab_step "PEER over IPv6: UNSUPP_OPCODE (pinholes are MAP only)" is "$(field result_name <<<"$m")" UNSUPP_OPCODE
m=$(probe map "$LAB_GW_IP6" --proto tcp --internal-port 80 --lifetime 600 --nonce "$N2")
lab_step "the allow/deny rules are IPv4 only: IPv6 MAP of port 80 succeeds at once" \
  is "$(field result_name <<<"$m")" SUCCESS
probe map "$LAB_GW_IP6" --proto tcp --internal-port 80 --lifetime 0 --nonce "$N2" >/dev/null
m=$(probe map "$LAB_GW_LL6%$LAB_IF_LAN" --bind "$LAB_LAN_IP6" --proto tcp --internal-port 8085 --nonce "$N3")
lab_step "PCP to the gateway's link-local address works (sent from $LAB_LAN_IP6)" \
  is "$(field result_name <<<"$m") $(field external_ip <<<"$m")" "SUCCESS $LAB_LAN_IP6"
probe map "$LAB_GW_LL6%$LAB_IF_LAN" --bind "$LAB_LAN_IP6" --proto tcp --internal-port 8085 --lifetime 0 \
  --nonce "$N3" >/dev/null
# Renewal (same nonce, same internal port): answered SUCCESS with external port 0, and the pinhole
# cannot be deleted afterwards (NOT_AUTHORIZED with that same nonce); it stays until it expires.
probe map "$LAB_GW_IP6" --proto tcp --internal-port 8086 --lifetime 120 --nonce "$N4" >/dev/null
m=$(probe map "$LAB_GW_IP6" --proto tcp --internal-port 8086 --lifetime 120 --nonce "$N4")
lab_step "quirk: an IPv6 renewal answers SUCCESS with external port 0" \
  is "$(field result_name <<<"$m") $(field external_port <<<"$m")" "SUCCESS 0"
m=$(probe map "$LAB_GW_IP6" --proto tcp --internal-port 8086 --lifetime 0 --nonce "$N4")
lab_step "quirk: after a renewal the IPv6 delete is NOT_AUTHORIZED (same nonce)" \
  is "$(field result_name <<<"$m")" NOT_AUTHORIZED
lab_step "... and the pinhole stays" lab_pinhole_listed tcp 8086

# A gateway restart announces itself (RFC 6887 14.1.3): over IPv4 to 224.0.0.1:5350 on the LAN, but
# the IPv6 ANNOUNCE to [ff02::1]:5350 leaves by the WAN interface: a LAN client never hears it.
# The window is generous: on a loaded machine (CI with other builds running) the restart and its
# ANNOUNCE once took longer than 2.5 s and both IPv6 checks failed.
listen() { # NAMESPACE OUTFILE ARGS...: a bounded listener on port 5350, ready before the restart
  local ns=$1 out=$2
  shift 2
  ip netns exec "$ns" timeout 12 python3 "$HERE/pcp_probe.py" listen --port 5350 --seconds 6 \
    --ready "$out.ready" "$@" >"$out" 2>&1 &
}
listen "$LAB_NS_LAN" "$LAB_DIR/ann_lan6"
p1=$!
listen "$LAB_NS_LAN" "$LAB_DIR/ann_lan4" --group 224.0.0.1
p2=$!
listen "$LAB_NS_INET" "$LAB_DIR/ann_inet6"
p3=$!
for f in ann_lan6 ann_lan4 ann_inet6; do _lab_wait_file "$LAB_DIR/$f.ready" || true; done
lab_reboot_gateway
wait "$p1" "$p2" "$p3" || true
lab_step "restart: PCP ANNOUNCE reaches lan over IPv4 (224.0.0.1:5350)" grep -q 'opcode=ANNOUNCE' "$LAB_DIR/ann_lan4"
lab_step "restart: no ANNOUNCE reaches lan over IPv6" grep -q '^# 0 datagram' "$LAB_DIR/ann_lan6"
lab_step "restart: the IPv6 ANNOUNCE went to ff02::1 on the WAN side (inet heard it)" \
  grep -q 'opcode=ANNOUNCE' "$LAB_DIR/ann_inet6"

# --- teardown ----------------------------------------------------------------------------------
saved_ns=("$LAB_NS_LAN" "$LAB_NS_GW" "$LAB_NS_INET") saved_pid=$LAB_MINIUPNPD_PID
lab_down
echo "# lab down in ${LAB_DOWN_SECONDS}s"
ns_left=$(ip netns list)
gone=1
for n in "${saved_ns[@]}"; do grep -qw -- "$n" <<<"$ns_left" && gone=0; done
lab_step "lab_down deletes the namespaces" test "$gone" = 1
lab_step "lab_down stops miniupnpd" test ! -e "/proc/$saved_pid"

lab_finish

#!/usr/bin/env bash
# The natpunch story in one minute, on a pretend home network built in this machine:
# a laptop (lan) behind a home router (gw, the real miniupnpd, set up as most home routers are: UPnP IGD
# only) and a host on the internet (inet). natpunch runs with its defaults alone: no protocol named.
#
#   sudo bash tests/lab/demo.sh path/to/natpunch
#
# Exits non-zero as soon as a step does not happen as told.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"

if [[ $# -ne 1 ]]; then
  echo "usage: $0 NATPUNCH_BINARY" >&2
  exit 2
fi
NATPUNCH=$(realpath -e "$1" 2>/dev/null || echo "$1")
lab_require
[[ -x $NATPUNCH ]] || { echo "natpunch binary '$NATPUNCH' is missing or not executable" >&2; exit 1; }

say() { printf '%s\n' "$*"; }
fail() {
  say "FAILED: $*"
  exit 1
}
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null || true; }
# natpunch as the laptop's user runs it: inside lan, gateway left to discovery.
natpunch() { lab_lan timeout 20 "$NATPUNCH" "$@"; }
why() {
  case ${LAB_CONNECT_ERROR:-} in
    ConnectionRefusedError) echo "connection refused" ;;
    TimeoutError | timeout) echo "no answer" ;;
    *) echo "${LAB_CONNECT_ERROR:-no answer}" ;;
  esac
}

say "1. Building a home network: laptop $LAB_LAN_IP, router $LAB_GW_IP (public $LAB_WAN_IP), internet host $LAB_INET_IP"
export LAB_NATPMP=no
lab_up
say "   up in ${LAB_UP_SECONDS}s; the router runs miniupnpd as a UPnP-only router (no NAT-PMP, no PCP)"

say "2. \$ natpunch external-ip     (natpunch finds what the router speaks: here UPnP IGD, by SSDP)"
out=$(natpunch --json external-ip) || fail "natpunch external-ip failed: $out"
[[ $(field "$out" protocol) == upnp ]] || fail "expected natpunch to find UPnP IGD: $out"
gw=$(field "$out" gateway)
ip=$(field "$out" external_ip)
[[ $ip == "$LAB_WAN_IP" ]] || fail "expected public address $LAB_WAN_IP, natpunch said: $out"
say "   gateway found: ${gw:-$LAB_GW_IP}"
say "   public address: $ip"

say "3. Before anything: can the internet host reach the laptop's port 2222?"
lab_prove_tcp 2222 unreachable || fail "port 2222 was already open"
say "   no ($(why)), as expected behind a NAT"

# What the first user did by hand with upnpc -r 22 TCP (here port 2222, so no root sshd is needed).
say "4. \$ natpunch add 2222/tcp --description demo"
human=$(natpunch add 2222/tcp --description demo) || fail "natpunch add failed: $human"
sed 's/^/   natpunch: /' <<<"$human"
say "   \$ natpunch list     (what natpunch made, and how long it has left)"
out=$(natpunch list) || fail "natpunch list failed: $out"
grep -q "2222 -> $LAB_LAN_IP:2222 .*upnp" <<<"$out" || fail "natpunch list does not show 2222: $out"
sed 's/^/   /' <<<"$out"
say "   \$ natpunch --json list --all     (and what the router itself holds)"
out=$(natpunch --json list --all) || fail "natpunch list --all failed: $out"
entry=$(grep '"external_port":2222,.*"remote_host"' <<<"$out" | head -n1 || true)
[[ -n $entry ]] || fail "the router does not list port 2222: $out"
sed 's/^/   /' <<<"$entry"
eport=$(field "$entry" external_port)
iip=$(field "$entry" internal_ip)
iport=$(field "$entry" internal_port)
[[ $iip == "$LAB_LAN_IP" && $iport == 2222 ]] || fail "unexpected mapping: $entry"
say "   mapping made: $LAB_WAN_IP:$eport -> $iip:$iport"

say "5. The internet host connects to $LAB_WAN_IP:$eport; the laptop answers with a fresh token"
lab_prove_tcp "$iport" reachable "$eport" || fail "the outside connection did not arrive"
say "   connection from outside (${LAB_PEER:-?}) received: $LAB_TOKEN"

say "6. \$ natpunch delete 2222/tcp     (natpunch remembers how it made it)"
human=$(natpunch delete 2222/tcp) || fail "natpunch delete failed: $human"
[[ -n $human ]] && sed 's/^/   natpunch: /' <<<"$human"
out=$(natpunch --json list --all) || fail "natpunch list failed: $out"
if grep -q '"external_port":2222,' <<<"$out"; then fail "the router still lists port 2222: $out"; fi
lab_prove_tcp "$iport" unreachable "$eport" || fail "the port is still open after delete"
if [[ $LAB_CONNECT_ERROR == ConnectionRefusedError ]]; then
  say "   mapping removed (no longer listed); outside connection now refused"
else
  say "   mapping removed (no longer listed); outside connection now fails ($(why))"
fi

say "7. Taking the network down"
lab_down
say "   done in ${LAB_DOWN_SECONDS}s. That is all natpunch does: open a port, prove it, close it."

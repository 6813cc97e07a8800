#!/usr/bin/env bash
# Self-test of the lab library, with Debian's natpmpc as the mapping client (no natpunch needed):
# if this fails, a natpunch lab test failure says nothing about natpunch.
#
#   sudo bash tests/lab/selftest.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"
lab_require upnpc

natpmpc_lan() { lab_lan timeout 5 natpmpc -g "$LAB_GW_IP" "$@"; }
# (Outputs captured before grep: with pipefail, a grep -q that exits early could fail the pipe.)
ns_exist() { local n l; l=$(ip netns list); for n in "$@"; do grep -qw -- "$n" <<<"$l" || return 1; done; }
ns_gone() { local n l; l=$(ip netns list); for n in "$@"; do ! grep -qw -- "$n" <<<"$l" || return 1; done; }
lan_addressed() {
  grep -q " $LAB_LAN_IP/24 " <<<"$(lab_lan ip -4 addr)" &&
    grep -q "default via $LAB_GW_IP" <<<"$(lab_lan ip route)"
}
http_get() { lab_lan timeout 5 python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())' "$1"; }

# --- bring-up ----------------------------------------------------------------------------------
lab_up
echo "# lab $LAB_PREFIX up in ${LAB_UP_SECONDS}s, dir $LAB_DIR"
lab_step "three namespaces exist" ns_exist "$LAB_NS_LAN" "$LAB_NS_GW" "$LAB_NS_INET"
lab_step "interface names fit 15 characters" test "${#LAB_IF_GW_WAN}" -le 15
lab_step "lan has $LAB_LAN_IP and a default route via $LAB_GW_IP" lan_addressed
lab_step "gw forwards (ip_forward=1)" test "$(lab_gw sysctl -n net.ipv4.ip_forward)" = 1
lab_step "miniupnpd runs in gw" grep -qx "$LAB_MINIUPNPD_PID" <<<"$(ip netns pids "$LAB_NS_GW")"
lab_step "NAT-PMP answers: natpmpc sees public address $LAB_WAN_IP" \
  grep -q "Public IP address : $LAB_WAN_IP" <<<"$(natpmpc_lan || true)"
desc=$(http_get "$LAB_ROOTDESC_URL" || true)
lab_step "rootDesc.xml served at $LAB_ROOTDESC_URL, IGD v2 by default" grep -q 'InternetGatewayDevice:2' <<<"$desc"

# --- proofs ------------------------------------------------------------------------------------
lab_step "no mapping: tcp 8080 unreachable" lab_prove_tcp 8080 unreachable
lab_step "no mapping: udp 9090 unreachable" lab_prove_udp 9090 unreachable
natpmpc_lan -a 8080 8080 tcp 600 >/dev/null
natpmpc_lan -a 9090 9090 udp 600 >/dev/null
lab_step "natpmpc mapping: tcp 8080 reachable from inet" lab_prove_tcp 8080 reachable
lab_step "the listener saw the outside host $LAB_INET_IP" test "$LAB_PEER" = "$LAB_INET_IP"
lab_step "natpmpc mapping: udp 9090 reachable from inet" lab_prove_udp 9090 reachable
lab_step "upnpc lists the TCP mapping" lab_listed TCP 8080 8080
lab_step "upnpc lists the UDP mapping" lab_listed UDP 9090 9090
if lab_prove_tcp 8080 unreachable 2>/dev/null; then mismatch=0; else mismatch=1; fi
lab_step "lab_prove_tcp reports a mismatch (expects unreachable, is reachable)" test "$mismatch" = 1
natpmpc_lan -a 8080 8080 tcp 0 >/dev/null
natpmpc_lan -a 9090 9090 udp 0 >/dev/null
lab_step "after delete: tcp 8080 refused" lab_prove_tcp 8080 unreachable
lab_step "after delete: udp 9090 silent" lab_prove_udp 9090 unreachable

# --- teardown ----------------------------------------------------------------------------------
saved_ns=("$LAB_NS_LAN" "$LAB_NS_GW" "$LAB_NS_INET") saved_pid=$LAB_MINIUPNPD_PID saved_dir=$LAB_DIR
lab_down
echo "# lab down in ${LAB_DOWN_SECONDS}s"
lab_step "lab_down deletes the namespaces" ns_gone "${saved_ns[@]}"
lab_step "lab_down stops miniupnpd" test ! -e "/proc/$saved_pid"
lab_step "lab_down removes the temp dir" test ! -e "$saved_dir"
lab_step "lab_down twice is harmless" lab_down

# --- options -----------------------------------------------------------------------------------
LAB_IGD_V1=1 lab_up
desc=$(http_get "$LAB_ROOTDESC_URL" || true)
lab_step "LAB_IGD_V1=1 serves an IGD v1 device" grep -q 'InternetGatewayDevice:1' <<<"$desc"
lab_down

# --- traps: teardown on failure and on a signal, in child shells ----------------------------------
child_ns() { cat "$1" 2>/dev/null || true; }
out=$(mktemp)
set +e
bash -c "source '$HERE/lab.sh'; set -euo pipefail; lab_up; echo \$LAB_NS_GW > '$out'; false" >/dev/null 2>&1
rc=$?
set -e
lab_step "a failing step exits with its status ($rc) through the trap" test "$rc" -eq 1
lab_step "... and the trap deleted that lab's namespaces" ns_gone "$(child_ns "$out")"

bash -c "source '$HERE/lab.sh'; set -euo pipefail; lab_up; echo \$LAB_NS_GW > '$out'; sleep 5 & wait \$!" \
  >/dev/null 2>&1 &
child=$!
for ((i = 0; i < 100; i++)); do [[ -s $out ]] && break; sleep 0.05; done
sleep 0.5   # until the child waits in `wait`
kill -TERM "$child"
set +e
wait "$child"
rc=$?
set -e
lab_step "SIGTERM during a test exits 143 through the trap" test "$rc" -eq 143
lab_step "... and the trap deleted that lab's namespaces" ns_gone "$(child_ns "$out")"

: >"$out"
bash -c "source '$HERE/lab.sh'; set -euo pipefail; lab_up; echo \$LAB_NS_GW > '$out'; sleep 5 & wait \$!" \
  >/dev/null 2>&1 &
child=$!
for ((i = 0; i < 100; i++)); do [[ -s $out ]] && break; sleep 0.05; done
kill -KILL "$child"
wait "$child" 2>/dev/null || true
stale=$(child_ns "$out")
lab_step "SIGKILL leaves the lab behind (no trap can run)" ns_exist "$stale"
lab_reap_stale 2>/dev/null
lab_step "lab_reap_stale removes it" ns_gone "$stale"
rm -f "$out"

lab_finish

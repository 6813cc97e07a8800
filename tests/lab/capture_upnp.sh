#!/usr/bin/env bash
# Records miniupnpd's real SSDP and UPnP IGD (HTTP + SOAP) traffic in the lab, byte-exact, for the
# ssdp/ and soap/ codec tests and fuzz seed corpora.
#
#   sudo bash tests/lab/capture_upnp.sh [OUT_DIR]     (default: tests/data)
#
# Writes, for miniupnpd <version> (2.3.1 here):
#   OUT_DIR/ssdp/miniupnpd_<version>/        IGD v2 mode (miniupnpd's default), IPv6 on
#   OUT_DIR/ssdp/miniupnpd_<version>/igd1/   IGD v1 mode (force_igd_desc_v1=yes)
#       <target>.unicast.request / <target>.multicast.request   the exact M-SEARCH sent
#       <target>.{unicast,multicast}.NN.ssdp                      each answer (absent: no answer)
#       notify.{start,running,stop}.{v4,v6}.NN.ssdp               NOTIFY heard on the LAN
#       summary.txt (answer delays), notify.log (times)
#   OUT_DIR/upnp/miniupnpd_<version>_igd2/ and .../miniupnpd_<version>_igd1/
#       <name>.request   the exact HTTP request sent (headers + body)
#       <name>.http      the exact answer (status line + headers + body, read until the server closed)
#       summary.txt      one line per exchange: status or fault, size, time; miniupnpd.conf (as run)
# README.md files in those folders are written by hand from summary.txt and are left alone.
#
# Everything runs in the lab's namespaces (tests/lab/lab.sh); the clients are tests/lab/upnp_capture.py
# run in lan. Every wait is bounded (each socket read has a timeout; each step runs under `timeout`).
# ~2 minutes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"
LAB_IPV6=1 lab_require

version=$("$(_lab_miniupnpd_bin)" --version 2>&1 | awk 'NR==1{print $2}')
OUT=${1:-$HERE/../data}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
PY="$HERE/upnp_capture.py"
LAB_OTHER_IP=192.168.86.251    # a second address on the lan host: "another internal client"
LAB_OTHER_IP6=fd00:86::251

# Empties a capture folder except its README.md (files of an earlier run must not linger).
_fresh_dir() {
  mkdir -p "$1"
  find "$1" -maxdepth 1 -type f ! -name README.md -delete
}

# capture_mode igd1|igd2 SSDP_DIR HTTP_DIR
capture_mode() {
  local mode=$1 ssdp_out=$2 http_out=$3 marks listener
  _fresh_dir "$ssdp_out"
  _fresh_dir "$http_out"
  if [[ $mode == igd1 ]]; then
    LAB_IPV6=0 LAB_IGD_V1=1 LAB_START_GATEWAY=0 lab_up
  else
    LAB_IPV6=1 LAB_IGD_V1=0 LAB_START_GATEWAY=0 lab_up
  fi
  lab_lan ip addr add "$LAB_OTHER_IP/24" dev "$LAB_IF_LAN"
  if [[ $mode == igd2 ]]; then lab_lan ip -6 addr add "$LAB_OTHER_IP6/64" dev "$LAB_IF_LAN" nodad; fi
  marks="$LAB_DIR/marks"
  mkdir -p "$marks"

  # The NOTIFY listener first, so it hears miniupnpd's very first announcements. At most 240 s.
  ip netns exec "$LAB_NS_LAN" timeout 250 python3 "$PY" notify "$ssdp_out" "$LAB_LAN_IP" "$LAB_IF_LAN" \
    "$marks" 240 &
  listener=$!
  _lab_wait_file "$marks/notify.ready" || { _lab_say "NOTIFY listener did not start"; return 1; }
  lab_gateway_start
  echo "== $mode: miniupnpd started $(date -u +%FT%TZ)"
  sleep 3 & wait $!                         # its start-up burst of ssdp:alive
  touch "$marks/running"

  echo "== $mode: SSDP"
  if [[ $mode == igd2 ]]; then
    lab_lan timeout 120 python3 "$PY" ssdp "$ssdp_out" "$LAB_GW_IP" "$LAB_LAN_IP" "$LAB_IF_LAN" "$LAB_LAN_IP6"
  else
    lab_lan timeout 120 python3 "$PY" ssdp "$ssdp_out" "$LAB_GW_IP" "$LAB_LAN_IP"
  fi
  echo "== $mode: HTTP/SOAP"
  if [[ $mode == igd2 ]]; then
    lab_lan timeout 300 python3 "$PY" http "$http_out" "$LAB_GW_IP" "$LAB_HTTP_PORT" "$mode" \
      "$LAB_LAN_IP" "$LAB_OTHER_IP" "$LAB_GW_IP6" "$LAB_LAN_IP6"
  else
    lab_lan timeout 300 python3 "$PY" http "$http_out" "$LAB_GW_IP" "$LAB_HTTP_PORT" "$mode" \
      "$LAB_LAN_IP" "$LAB_OTHER_IP"
  fi
  # The config as run (the uuid changes at every run), and the rules miniupnpd wrote by then.
  sed "s/$LAB_PREFIX/LABPREFIX/g" "$LAB_DIR/miniupnpd.conf" >"$http_out/miniupnpd.conf"
  lab_gw nft list table inet filter | sed "s/$LAB_PREFIX/LABPREFIX/g" >"$http_out/gateway_ruleset.txt"

  echo "== $mode: stopping miniupnpd (ssdp:byebye)"
  touch "$marks/stopping"
  local t0
  t0=$(_lab_now_us)
  lab_gateway_stop
  echo "== $mode: miniupnpd stopped after $(_lab_since "$t0") s"
  sleep 1 & wait $!
  # Once (of several runs) no ssdp:byebye was heard after a run with many rules: then stop a fresh
  # start, which is the same daemon with an empty table.
  if ! compgen -G "$ssdp_out/notify.stop.*" >/dev/null; then
    echo "== $mode: no ssdp:byebye heard; starting and stopping miniupnpd once more"
    rm -f "$marks/stopping"
    touch "$marks/restarted"
    lab_gateway_start
    sleep 1 & wait $!
    touch "$marks/stopping"
    lab_gateway_stop
    sleep 1 & wait $!
  fi
  touch "$marks/done"
  wait "$listener" || true
  echo "---- NOTIFY heard ($mode) ----"
  cat "$ssdp_out/notify.log" 2>/dev/null || echo "(none)"
  echo "---- miniupnpd log ($mode), SOAP/SSDP lines ----"
  grep -Eiv 'permission rule|is not a IGD pinhole' "$LAB_DIR/miniupnpd.log" | tail -n 40 || true
  lab_down
}

capture_date=$(date -u +%F)
capture_mode igd2 "$OUT/ssdp/miniupnpd_${version}" "$OUT/upnp/miniupnpd_${version}_igd2"
capture_mode igd1 "$OUT/ssdp/miniupnpd_${version}/igd1" "$OUT/upnp/miniupnpd_${version}_igd1"
echo "capture date: $capture_date; miniupnpd $version; files in $OUT/ssdp and $OUT/upnp"

#!/usr/bin/env bash
# Hostile gateways (issue 5): natpunch against tools/gwsim playing one attack at a time from a rogue
# device on the lab's LAN (192.168.86.66, a second address of the LAN namespace; 192.168.86.67 is
# "another host" for decoys and forged URLs), while the real router (miniupnpd) holds a mapping made
# before the first attack. For every attack natpunch must end
#   - with the expected exit status and an error that names the problem (the limit, the field),
#   - within its --timeout plus a margin (no hang, no retry loop),
#   - with a peak memory (max RSS) at most 16 MiB above an honest run's (no unbounded allocation),
#   - with the router's table unchanged and the first mapping still reachable from inet (no lost
#     mapping), and without any request reaching a forged address.
#
#   sudo bash tests/lab/hostile_test.sh path/to/natpunch path/to/gwsim [ATTACK_FILTER]
#
# ATTACK_FILTER (a bash regex) runs only the cases whose name matches. Exit 0 = all ok, 77 = skipped.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"

if [[ $# -lt 2 ]]; then
  echo "usage: $0 NATPUNCH_BINARY GWSIM_BINARY [ATTACK_FILTER]" >&2
  exit 2
fi
NATPUNCH=$(realpath -e "$1" 2>/dev/null || echo "$1")
GWSIM=$(realpath -e "$2" 2>/dev/null || echo "$2")
FILTER=${3:-.}
lab_require
for b in "$NATPUNCH" "$GWSIM"; do
  if [[ ! -x $b ]]; then
    echo "not ok - '$b' is missing or not executable (build the natpunch and gwsim targets)"
    exit 1
  fi
done

ROGUE=192.168.86.66
OTHER=192.168.86.67
RSS_MARGIN_KB=$((16 * 1024))
SLACK_MS=1500 # start-up, a sanitizer build's slowness, a loaded CI machine

echo "# natpunch: $NATPUNCH"
lab_up
echo "# lab $LAB_PREFIX up in ${LAB_UP_SECONDS}s (router $LAB_GW_IP, rogue $ROGUE, other host $OTHER)"
# Another device on the LAN, in its own namespace (natpunch does not hear its own multicast, so a
# responder beside it in lan would never see a search).
lab_add_lan_host rogue "$ROGUE" "$OTHER"

# run_measured NAME CMD...: runs CMD in lan; sets RC, MS (wall time), RSS_KB (its peak), OUT, ERR.
run_measured() {
  local name=$1
  shift
  local res
  res=$(python3 - "$LAB_DIR/np.$name" "$LAB_NS_LAN" "$@" <<'PY'
import resource, subprocess, sys, time
base, ns, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
with open(base + ".out", "wb") as out, open(base + ".err", "wb") as err:
    rc = subprocess.run(["ip", "netns", "exec", ns, "timeout", "60"] + cmd, stdout=out, stderr=err).returncode
ms = int((time.monotonic() - t) * 1000)
print(rc, ms, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
  )
  read -r RC MS RSS_KB <<<"$res"
  OUT=$(cat "$LAB_DIR/np.$name.out")
  ERR=$(cat "$LAB_DIR/np.$name.err")
}

# gwsim_start NAME ARGS...: gwsim on the rogue device (GW_NS, default the rogue's namespace), its JSON
# log in $LAB_DIR/gw.NAME; waits until it listens. Returns 1 (and says why) when it did not start.
GW_PIDS=()
gwsim_start() {
  local name=$1 i
  shift
  # `ip netns exec` execs timeout, so $! is gwsim's parent and a kill reaches gwsim.
  ip netns exec "${GW_NS:-$LAB_NS_ROGUE}" timeout 60 "$GWSIM" --run-seconds 50 "$@" >"$LAB_DIR/gw.$name" 2>"$LAB_DIR/gw.$name.err" &
  GW_PIDS+=($!)
  for ((i = 0; i < 100; i++)); do
    if grep -q '"listening"' "$LAB_DIR/gw.$name" 2>/dev/null &&
      { [[ " $* " != *" --http "* ]] || grep -q '"http"' "$LAB_DIR/gw.$name"; } &&
      { [[ " $* " != *" --ssdp "* ]] || grep -q '"ssdp"' "$LAB_DIR/gw.$name"; }; then return 0; fi
    sleep 0.05
  done
  echo "# gwsim $name did not start: $(cat "$LAB_DIR/gw.$name.err")"
  return 1
}
gwsim_stop_all() {
  local p
  for p in "${GW_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${GW_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  GW_PIDS=()
}

# The router's view (upnpc -l in lan, the independent witness), mapping lines only, without the
# lease time left (the last field, which counts down).
router_table() {
  _lab_witness_list || return 2
  grep -E '^ *[0-9]+ (TCP|UDP) ' <<<"$LAB_WITNESS_LIST" | sed -E 's/^ *[0-9]+ //; s/ [0-9]+$//' | sort
}

# The mapping every attack must leave alone.
lab_natpunch --timeout 10 --protocol upnp add 2222/tcp --description before-attacks --lifetime 3600
lab_step "a mapping on the real router before the attacks (2222/tcp)" test "$RC" -eq 0
lab_step "inet reaches it" lab_prove_tcp 2222 reachable
BEFORE=$(router_table)
echo "# router table: $(tr '\n' ';' <<<"$BEFORE")"

# Honest peaks, the reference for the memory bound: one per kind of exchange.
gwsim_start honest --listen "$ROGUE:5351" --pcp --http 5000 || LAB_FAILURES=$((LAB_FAILURES + 1))
run_measured honest_pcp "$NATPUNCH" --gateway "$ROGUE" --protocol pcp --timeout 3 add 9100/tcp
RSS_UDP=$RSS_KB
run_measured honest_upnp "$NATPUNCH" --igd "http://$ROGUE:5000/rootDesc.xml" --timeout 3 external-ip
RSS_HTTP=$RSS_KB
lab_step "gwsim plays an honest gateway: PCP add and UPnP external-ip work against it" \
  grep -q 11.0.0.5 "$LAB_DIR/np.honest_upnp.out"
gwsim_stop_all
echo "# honest peaks: NAT-PMP/PCP ${RSS_UDP} KiB, UPnP ${RSS_HTTP} KiB; each attack may use ${RSS_MARGIN_KB} KiB more"

CASES=0
# attack CASE EXPECT_RC ERR_REGEX TIMEOUT GWSIM_ARGS -- NATPUNCH_ARGS
#   EXPECT_RC 0 means the attack must be seen through: the honest answer wins (OUT must then match
#   ERR_REGEX instead of ERR). The natpunch arguments get --timeout TIMEOUT.
attack() {
  local name=$1 expect=$2 regex=$3 timeout=$4
  shift 4
  [[ $name =~ $FILTER ]] || return 0
  CASES=$((CASES + 1))
  local gw_args=() np_args=() ref=$RSS_HTTP
  while [[ $# -gt 0 && $1 != -- ]]; do gw_args+=("$1"); shift; done
  shift
  np_args=("$@")
  [[ " ${np_args[*]} " == *" --gateway "* ]] && ref=$RSS_UDP
  gwsim_start "$name" --listen "$ROGUE:5351" "${gw_args[@]}" || { LAB_FAILURES=$((LAB_FAILURES + 1)); return 0; }
  # A record of its own per case: what an earlier case made (its protocol, its IGD) must not decide
  # this one's path, so every attack meets the search and the protocol it is aimed at.
  export NATPUNCH_STATE_DIR="$LAB_DIR/state.$name"
  run_measured "$name" "$NATPUNCH" --timeout "$timeout" "${np_args[@]}"
  gwsim_stop_all
  local text=$ERR what="stderr" limit=$((timeout * 1000 + SLACK_MS)) problems=()
  [[ $expect -eq 0 ]] && text=$OUT && what="stdout"
  [[ $RC -eq $expect ]] || problems+=("exit $RC, expected $expect")
  grep -Eqi -- "$regex" <<<"$text" || problems+=("$what does not match /$regex/")
  ((MS <= limit)) || problems+=("took $MS ms, limit $limit")
  ((RSS_KB <= ref + RSS_MARGIN_KB)) || problems+=("peak $RSS_KB KiB, limit $((ref + RSS_MARGIN_KB))")
  if ((${#problems[@]} == 0)); then
    echo "ok - $name: exit $RC in $MS ms, peak $RSS_KB KiB: $(head -c 160 <<<"$text" | tr '\n' ' ')"
  else
    echo "not ok - $name: $(printf '%s; ' "${problems[@]}")"
    echo "#   stdout: $(head -c 400 <<<"$OUT")"
    echo "#   stderr: $(head -c 600 <<<"$ERR")"
    echo "#   gwsim: $(tail -n 3 "$LAB_DIR/gw.$name" | tr '\n' ' ')"
    LAB_FAILURES=$((LAB_FAILURES + 1))
  fi
}

# no_request_reached LOG: the gwsim log LOG saw no HTTP request and no M-SEARCH answer was fetched.
no_request_reached() { ! grep -q '"http":"GET\|"http":"POST\|"soap"' "$1"; }
router_unchanged() {
  local now
  now=$(router_table) || return 1
  [[ $now == "$BEFORE" ]] || { echo "# router table now: $(tr '\n' ';' <<<"$now")"; return 1; }
}

echo "# --- NAT-PMP and PCP: forged answers first, the honest one 300 ms later ---"
udp() { attack "$1" "$2" "$3" 2 --pcp --delay-ms 300 --decoy "$OTHER" --attack "$4" -- --gateway "$ROGUE" --protocol "$5" add 9100/tcp; }
for p in natpmp pcp; do
  udp "udp.$p.wrong-source" 0 "mapped tcp 11\.0\.0\.5:9100" wrong-source $p
  udp "udp.$p.wrong-port" 0 "mapped tcp 11\.0\.0\.5:9100" wrong-port $p
  udp "udp.$p.garbage" 0 "mapped tcp 11\.0\.0\.5:9100" garbage $p
  udp "udp.$p.flood" 0 "mapped tcp 11\.0\.0\.5:9100" flood $p
  udp "udp.$p.silent" 3 "no answer before the deadline" silent $p
done
udp udp.pcp.wrong-nonce 0 "mapped tcp 11\.0\.0\.5:9100 .*\(pcp," wrong-nonce pcp
udp udp.auto.downgrade 0 "mapped tcp 11\.0\.0\.5:9100 .*\(pcp," downgrade auto
# Only forgeries in time: the honest answer comes after the deadline.
attack udp.pcp.forged-only 3 "no answer before the deadline" 2 --pcp --delay-ms 4000 --decoy "$OTHER" --attack wrong-source -- \
  --gateway "$ROGUE" --protocol pcp add 9100/tcp

echo "# --- HTTP framing (description, then the SOAP answer) ---"
IGD="http://$ROGUE:5000/rootDesc.xml"
http() { attack "$1" "$2" "$3" 3 --http 5000 --attack "$4" "${@:5}" -- --igd "$IGD" external-ip; }
http http.length-overflow 4 "content-length" length-overflow
http http.length-huge 4 "body.*(limit|large|long)" length-huge
http http.chunk-overflow 4 "chunk" chunk-overflow
http http.chunk-negative 4 "chunk" chunk-negative
http http.chunk-endless 4 "body.*(limit|large|long)" chunk-endless
http http.smuggle-cl-te 4 "content-length.*transfer-encoding|transfer-encoding.*content-length|ambiguous" smuggle-cl-te
http http.smuggle-two-lengths 4 "content-length" smuggle-two-lengths
http http.header-flood 4 "header" header-flood
http http.line-endless 4 "status line" line-endless
http http.status-garbage 4 "status code|status line" status-garbage
http http.redirect 4 "HTTP 302 Found" redirect
http http.drip 3 "deadline" drip
http http.stall 3 "deadline" stall
http http.truncate-0 4 "closed|truncated" truncate --attack-arg 0
http http.truncate-12 4 "closed|truncated|status" truncate --attack-arg 12
http http.truncate-100 4 "closed before the HTTP response ended" truncate --attack-arg 100
http http.truncate-half 4 "closed before the HTTP response ended" truncate
for a in length-huge chunk-endless header-flood drip truncate; do
  expect=4 regex="body|header|closed before"
  [[ $a == drip ]] && expect=3 regex="deadline"
  http "http.control.$a" "$expect" "$regex" "$a" --attack-on control
done

echo "# --- the device description ---"
desc() { attack "$1" "$2" "$3" 3 --http 5000 --attack "$4" -- --igd "$IGD" external-ip; }
desc xml.deep 4 "deep" xml-deep
desc xml.doctype 4 "doctype" xml-doctype
desc xml.huge 4 "large|limit" xml-huge
desc xml.many-devices 4 "devices" xml-many-devices
desc xml.long-field 4 "field longer" xml-long-field
desc xml.no-igd 4 "WANIPConnection|WANPPPConnection|internet gateway|IGD" xml-no-igd

echo "# --- forged control URLs: the description names another place to send SOAP to ---"
# forged_control NAME URL [LISTEN NS]: with LISTEN, a second gwsim listens where URL points (in NS) and
# must see no request; names, link-local and https have nowhere to listen, the error is the proof.
forged_control() {
  local name=$1 url=$2 listen=${3:-} ns=${4:-$LAB_NS_ROGUE}
  [[ $name =~ $FILTER ]] || return 0
  if [[ -n $listen ]]; then
    GW_NS=$ns gwsim_start "$name.target" --listen "$listen:5351" --http 5000 || { LAB_FAILURES=$((LAB_FAILURES + 1)); return 0; }
  fi
  attack "$name" 4 "control URL on another host or port" 3 --http 5000 --control-url "$url" -- --igd "$IGD" add 9101/tcp
  if [[ -n $listen ]]; then
    lab_step "$name: the forged target listened" grep -q '"http"' "$LAB_DIR/gw.$name.target"
    lab_step "$name: nothing reached it" no_request_reached "$LAB_DIR/gw.$name.target"
  fi
}
forged_control control.other-host "http://$OTHER:5000/ctl/IPConn" "$OTHER"
forged_control control.loopback "http://127.0.0.1:5000/ctl/IPConn" 127.0.0.1 "$LAB_NS_LAN"
forged_control control.link-local "http://[fe80::1]:5000/ctl/IPConn"
forged_control control.name "http://router.invalid:5000/ctl/IPConn"
forged_control control.https "https://$ROGUE:5000/ctl/IPConn"

echo "# --- SOAP answers ---"
soap() { attack "$1" "$2" "$3" 3 --http 5000 --attack "$4" -- --igd "$IGD" "${@:5}"; }
soap soap.garbage 4 "xml" soap-garbage external-ip
soap soap.deep 4 "deep" soap-deep external-ip
soap soap.doctype 4 "doctype" soap-doctype external-ip
soap soap.huge-fault 4 "field longer" soap-huge-fault external-ip
soap soap.many-args 4 "arguments" soap-many-args external-ip
soap soap.wrong-action 4 "action|GetStatusInfo" soap-wrong-action external-ip
soap soap.bad-address 4 "address" soap-bad-address external-ip
soap soap.add.garbage 4 "xml" soap-garbage add 9102/tcp

lab_step "after every gateway attack: the router's table is as before" router_unchanged
lab_step "after every gateway attack: inet still reaches 2222/tcp" lab_prove_tcp 2222 reachable

echo "# --- SSDP: a rogue device answers every search at once (the router takes ~60 ms) ---"
# ssdp_case NAME PORT GWSIM_ARGS...: natpunch discovers and maps PORT/tcp; it must choose the router,
# map there, and send nothing to the rogue or to $OTHER.
ssdp_case() {
  local name=$1 port=$2
  shift 2
  [[ $name =~ $FILTER ]] || return 0
  gwsim_start "$name.other" --listen "$OTHER:5351" --http 5000 || { LAB_FAILURES=$((LAB_FAILURES + 1)); return 0; }
  attack "$name" 0 "mapped tcp 11\.0\.0\.5:$port .*\(upnp" 5 --ssdp --http 5000 --external 11.0.0.66 "$@" -- \
    --protocol upnp add "$port/tcp" --description "$name"
  lab_step "$name: the rogue saw the search" grep -q '"M-SEARCH"' "$LAB_DIR/gw.$name"
  lab_step "$name: no request reached the rogue" no_request_reached "$LAB_DIR/gw.$name"
  lab_step "$name: no request reached $OTHER" no_request_reached "$LAB_DIR/gw.$name.other"
  lab_step "$name: the router holds $port/tcp" lab_listed TCP "$port" "$port"
  lab_natpunch --timeout 10 --protocol upnp delete "$port/tcp"
}
ssdp_case ssdp.rogue-igd 3331
ssdp_case ssdp.forged-locations 3332 --location "http://127.0.0.1:5000/rootDesc.xml" --location "http://$OTHER:5000/rootDesc.xml" \
  --location "http://[fe80::1]:5000/rootDesc.xml" --location "http://router.invalid:5000/rootDesc.xml" \
  --location "http://$ROGUE:5000/rootDesc.xml"
ssdp_case ssdp.flood 3333 --attack ssdp-flood
ssdp_case ssdp.garbage 3334 --attack ssdp-garbage

echo "# --- forged announcements while natpunch keeps a mapping (--keep) ---"
for p in natpmp pcp; do
  name=announce.$p
  [[ $name =~ $FILTER ]] || continue
  port=4440
  [[ $p == pcp ]] && port=4441
  lab_keep_start "$name" -v --protocol "$p" add "$port/tcp" --lifetime 120 --keep  # -vv: ignored datagrams are logged
  lab_step "$name: the keeper maps $port/tcp on the router" lab_wait_until 10 lab_has_event "$KEEP_OUT" mapped
  events_before=$(grep -c . "$KEEP_OUT" || true)
  gwsim_start "$name" --listen "$ROGUE:5351" --attack announce --attack-arg 5 || LAB_FAILURES=$((LAB_FAILURES + 1))
  sleep 1.5
  gwsim_stop_all
  lab_step "$name: five forged rounds were sent" grep -q '"round":5' "$LAB_DIR/gw.$name"
  lab_step "$name: the keeper ignored them (no event since)" test "$(grep -c . "$KEEP_OUT" || true)" -eq "$events_before"
  lab_step "$name: they were seen and dropped as not the gateway's" grep -q "ignored a datagram on port 5350 from $ROGUE" "$KEEP_OUT.err"
  lab_step "$name: inet still reaches $port/tcp" lab_prove_tcp "$port" reachable
  lab_keep_stop
  lab_step "$name: the keeper deleted $port/tcp on exit" lab_prove_tcp "$port" unreachable
done

lab_step "at the end: the router's table is as before" router_unchanged
lab_step "at the end: inet still reaches 2222/tcp" lab_prove_tcp 2222 reachable
echo "# $CASES attack cases"
lab_finish

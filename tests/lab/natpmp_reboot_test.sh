#!/usr/bin/env bash
# Router reboot in the lab: what a NAT-PMP client must notice (RFC 6886 section 3.6: the epoch
# "seconds since start" goes back, and every mapping is gone).
#
#   sudo bash tests/lab/natpmp_reboot_test.sh NATPUNCH_BINARY
#
# Part 1 checks the lab itself with natpmpc: lab_reboot_gateway really is a reboot.
# Part 2 checks natpunch: the epoch it reports, and `add --keep` re-creating its mapping after the
# reboot, both by its next renewal (short lifetime) and by the gateway's announcement (long lifetime).
# Part 3 checks `add --keep` on a new public address: miniupnpd's NAT-PMP announcement, natpunch's
# external_ip_changed event, the mapping reachable on the new address, and removed on SIGTERM.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"

NATPUNCH=${1:-}
lab_require upnpc
if [[ -z $NATPUNCH || ! -x $NATPUNCH ]]; then
  echo "not ok - natpunch binary '$NATPUNCH' is missing or not executable"
  exit 1
fi

# natpmpc prints "epoch = N" (the gateway's seconds since its mapping table started).
# Outputs are captured before parsing: an early-exiting reader in a pipe could SIGPIPE the writer,
# which pipefail would turn into a false failure.
epoch_natpmpc() {
  local out
  out=$(lab_lan timeout 5 natpmpc -g "$LAB_GW_IP" 2>/dev/null) || true
  awk '/^epoch = /{print $3; exit}' <<<"$out"
}
np_epoch() {
  local out
  out=$(lab_lan timeout 20 "$NATPUNCH" --protocol natpmp --timeout 5 --json external-ip 2>/dev/null) || true
  python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("epoch", ""))' "$out" 2>/dev/null || true
}

lab_up

# --- part 1: the lab's reboot, seen by natpmpc ---------------------------------------------------
lab_lan timeout 5 natpmpc -g "$LAB_GW_IP" -a 8080 8080 tcp 3600 >/dev/null
lab_step "before reboot: mapping 8080/tcp works from inet" lab_prove_tcp 8080 reachable
lab_step "before reboot: miniupnpd lists it" lab_listed TCP 8080 8080
# Let the epoch grow to N seconds (bounded: at most 8 s) so that "it went back" is visible.
wait_epoch() {
  local i e=0
  for ((i = 0; i < 16; i++)); do
    e=$(epoch_natpmpc)
    [[ ${e:-0} -ge $1 ]] && break
    sleep 0.5
  done
  echo "${e:-0}"
}
before=$(wait_epoch 3)
lab_step "before reboot: epoch has grown to $before s" test "${before:-0}" -ge 3
np_before=$(np_epoch)

lab_reboot_gateway

after=$(epoch_natpmpc)
lab_step "after reboot: epoch went back ($before -> $after)" test "${after:-999}" -lt "$before"
lab_step "after reboot: epoch is small again (<= 2 s)" test "${after:-999}" -le 2
lab_step "after reboot: the mapping is gone from miniupnpd's list" lab_unlisted TCP 8080 8080
lab_step "after reboot: inet can no longer connect" lab_prove_tcp 8080 unreachable

# --- part 2: natpunch --------------------------------------------------------------------------
# Bounded wait (SECONDS, 0.25 s steps) until COMMAND succeeds.
restored() { lab_listed TCP "$1" "$1" && lab_prove_tcp "$1" reachable 2>/dev/null; }

# keep_start PORT LIFETIME [PROTOCOL]: `natpunch add PORT/tcp --keep` in lan (PROTOCOL natpmp, the
# default, or pcp); JSON events to $LAB_DIR/keep.PORT.
keep_start() { lab_keep_start "$1" --protocol "${3:-natpmp}" add "$1/tcp" --keep --lifetime "$2"; }
keep_stop() { lab_keep_stop; }

np_after=$(np_epoch)
lab_step "natpunch --json external-ip: epoch went back after the reboot (${np_before:-none} -> ${np_after:-none})" \
  test "${np_after:-999999}" -lt "${np_before:-0}"

# A short lifetime makes natpunch renew every 3 s, so the RFC 6886 section 3.6 epoch rule (the epoch in
# a renewal answer went back) must notice the reboot within a few seconds.
# The rule needs history: it cannot tell a reboot from clock drift when the last answer it saw came
# from a gateway up for only a second or two (its 2 s slack). So start at epoch >= 4.
wait_epoch 4 >/dev/null
keep_start 8181 6
lab_step "add 8181/tcp --keep: mapped" lab_wait_until 5 lab_has_event "$LAB_DIR/keep.8181" mapped
lab_step "add 8181/tcp --keep: inet reaches lan:8181" lab_prove_tcp 8181 reachable
lab_reboot_gateway
lab_step "--keep, lifetime 6: mapping back within 10 s of the reboot (listed and reachable)" \
  lab_wait_until 10 restored 8181
lab_step "--keep: reported event gateway_lost_state" lab_has_event "$LAB_DIR/keep.8181" gateway_lost_state
keep_stop
lab_step "--keep: SIGTERM ends it with status 0" test "$KEEP_RC" -eq 0
lab_step "--keep: reported event removed" lab_has_event "$LAB_DIR/keep.8181" removed
lab_step "--keep: the mapping is gone after SIGTERM" lab_unlisted TCP 8181 8181
lab_step "--keep: inet can no longer connect" lab_prove_tcp 8181 unreachable

# With a long lifetime the next renewal is 30 minutes away: only the gateway's announcement can tell
# natpunch in time. miniupnpd 2.3.1 announces its restart only with a PCP ANNOUNCE (version 2, 24 bytes)
# to 224.0.0.1:5350 (tests/data/natpmp/miniupnpd_2.3.1/announce_pcp_5350.bin); natpunch revalidates
# after a random 0-5 s (RFC 6887 section 14.1.3), and the epoch in that answer proves the reboot.
wait_epoch 4 >/dev/null
keep_start 8282 3600
lab_step "add 8282/tcp --keep --lifetime 3600: mapped" lab_wait_until 5 lab_has_event "$LAB_DIR/keep.8282" mapped
lab_reboot_gateway
lab_step "--keep, lifetime 3600: mapping back within 10 s of the reboot (announcement, then epoch rule)" \
  lab_wait_until 10 restored 8282
lab_step "--keep, lifetime 3600: reported event gateway_lost_state" lab_has_event "$LAB_DIR/keep.8282" gateway_lost_state
keep_stop
lab_step "--keep, lifetime 3600: SIGTERM removes it" lab_unlisted TCP 8282 8282

# --- part 3: a new public address, announced ------------------------------------------------------
# The ISP hands the router a new public address (lab_change_wan_ip: new WAN address, then SIGUSR1).
# miniupnpd 2.3.1 then multicasts the NAT-PMP external address announcement (op 128, the new address,
# epoch restarted at 0) to 224.0.0.1:5351 and :5350, twice, plus a PCP ANNOUNCE
# (tests/data/natpmp/README.md). natpunch listens on :5350; an announcement naming another address makes
# it renew at once, and that renewal reports external_ip_changed. With lifetime 3600 no scheduled renewal
# (30 minutes away) can explain the event: only the announcement path can.
# has_mapping_event FILE EVENT EXTERNAL_IP: a JSON line of FILE is that event on that public address.
has_mapping_event() {
  python3 - "$@" <<'PY'
import json, sys
path, event, ip = sys.argv[1:4]
try:
    lines = open(path).read().splitlines()
except OSError:
    sys.exit(1)
for line in lines:
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if isinstance(d, dict) and d.get("event") == event and d.get("external_ip") == ip:
        sys.exit(0)
sys.exit(1)
PY
}
events_of() { python3 -c 'import json,sys
print(" ".join(json.loads(l).get("event", "?") for l in open(sys.argv[1]) if l.startswith("{")))' "$1" 2>/dev/null || true; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

old_ip=$LAB_WAN_IP new_ip=11.0.0.6
keep_start 8383 3600
lab_step "add 8383/tcp --keep --lifetime 3600: mapped on $old_ip" \
  lab_wait_until 5 has_mapping_event "$LAB_DIR/keep.8383" mapped "$old_ip"
lab_step "... inet reaches lan:8383 through $old_ip:8383" lab_prove_tcp 8383 reachable
changed_at=$(now_ms)
lab_change_wan_ip "$new_ip"   # sets LAB_WAN_IP: the proofs below connect to the new address
lab_step "public address now $new_ip: natpunch reports external_ip_changed naming $new_ip (within 10 s)" \
  lab_wait_until 10 has_mapping_event "$LAB_DIR/keep.8383" external_ip_changed "$new_ip"
event_ms=$(($(now_ms) - changed_at))
lab_step "... inet reaches lan:8383 through $new_ip:8383" lab_prove_tcp 8383 reachable
lab_step "... the connection came from the outside host $LAB_INET_IP" test "${LAB_PEER:-}" = "$LAB_INET_IP"
reach_ms=$(($(now_ms) - changed_at))
echo "# address change: event after ${event_ms} ms, connection through $new_ip done after ${reach_ms} ms"
lab_step "... event and connection both within 10 s of the change (${reach_ms} ms)" test "$reach_ms" -le 10000
lab_step "... miniupnpd still lists TCP 8383->$LAB_LAN_IP:8383" lab_listed TCP 8383 8383
keep_stop
echo "# natpunch events (8383): $(events_of "$LAB_DIR/keep.8383")"
lab_step "... SIGTERM ends it with status 0" test "$KEEP_RC" -eq 0
lab_step "... reported event removed, on $new_ip" has_mapping_event "$LAB_DIR/keep.8383" removed "$new_ip"
lab_step "... the mapping is gone after SIGTERM" lab_unlisted TCP 8383 8383
lab_step "... inet can no longer connect to $new_ip:8383" lab_prove_tcp 8383 unreachable

# --- part 4: the same over PCP ----------------------------------------------------------------------
# miniupnpd grants PCP at least 120 s, so the next renewal is a minute away: only its restart ANNOUNCE
# (224.0.0.1:5350) can tell natpunch in time. natpunch revalidates after a random 0-5 s (RFC 6887
# §14.1.3) and the answer's epoch, lower than before, proves the reset by the §8.5 rule.
wait_epoch 4 >/dev/null
keep_start 8484 120 pcp
lab_step "PCP add 8484/tcp --keep: mapped" lab_wait_until 5 lab_has_event "$LAB_DIR/keep.8484" mapped
lab_step "PCP --keep: inet reaches lan:8484" lab_prove_tcp 8484 reachable
lab_reboot_gateway
lab_step "PCP --keep: mapping back within 10 s of the reboot (ANNOUNCE, then the epoch rule)" lab_wait_until 10 restored 8484
lab_step "PCP --keep: reported event gateway_lost_state" lab_has_event "$LAB_DIR/keep.8484" gateway_lost_state
keep_stop
lab_step "PCP --keep: SIGTERM ends it with status 0 and event removed" \
  bash -c '[[ $0 -eq 0 ]] && grep -q "\"event\":\"removed\"" "$1"' "$KEEP_RC" "$LAB_DIR/keep.8484"
lab_step "PCP --keep: the mapping is gone after SIGTERM" lab_unlisted TCP 8484 8484

lab_finish

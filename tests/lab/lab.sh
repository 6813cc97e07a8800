# shellcheck shell=bash
# shellcheck disable=SC2034  # LAB_* variables set here are read by the scripts that source this file
# natpunch lab: a home network in three network namespaces, with the real miniupnpd as the router.
#
#   lan  192.168.86.250/24 --veth-- 192.168.86.1  gw  11.0.0.5 --veth-- 11.0.0.1/24  inet
#                                   (miniupnpd: UPnP IGD :5000, SSDP :1900, NAT-PMP/PCP :5351)
#
# Source this file from bash (it is `set -euo pipefail` friendly), then:
#   lab_require [EXTRA_BINARY...]      skip (exit 77) with one line saying why, if the lab cannot run here
#   lab_up                             build the network, start miniupnpd, wait until it answers;
#                                      installs an EXIT/INT/TERM trap that calls lab_down
#   lab_lan CMD... / lab_gw CMD... / lab_inet CMD...   run CMD inside that namespace
#   lab_prove_tcp PORT reachable|unreachable [EXTERNAL_PORT]   (same for lab_prove_udp)
#   lab_step DESC CMD... / lab_finish  one "ok - DESC" / "not ok - DESC" line per step; summary and exit
#   lab_listed PROTO EXT_PORT INT_PORT does miniupnpd list the mapping (upnpc -l, the independent witness)
#   lab_reboot_gateway                 power-cycle the router: mappings gone, NAT-PMP epoch restarts
#   lab_change_wan_ip NEW_IP           new public address; miniupnpd told with SIGUSR1 (it announces)
#   lab_add_lan_host NAME ADDR...      another device on the LAN, in its own namespace (a rogue responder)
#   lab_down                           stop everything the lab started, delete namespaces and temp dir
#   lab_reap_stale                     (called by lab_up) remove labs left by runs killed with SIGKILL
#   LAB_IPV6=1 lab_require / lab_up   the same network with IPv6 as well (ULA LAN, documentation-range
#                                      WAN, forwarding, miniupnpd serving PCP over IPv6 = IPv6 pinholes)
#   lab_prove_tcp6 PORT reachable|unreachable   inet -> [LAB_LAN_IP6]:PORT (no NAT on IPv6; also udp6)
#   lab_pinhole_listed PROTO PORT      does the gateway's ruleset hold miniupnpd's IPv6 pinhole
#   lab_keep_start NAME ARGS... / lab_keep_stop / lab_has_event FILE EVENT / lab_wait_until SEC CMD...
#                                      a background `natpunch ... --keep` and its JSON events
# See tests/lab/README.md for the details and the traps (all of them learnt in /work/shared/LAB.md).
#
# Network rule: everything here talks only to addresses inside the namespaces lab_up creates, and every
# wait or retry loop is bounded in count and in time.

# Fixed addresses: tests and docs quote them, and 11.0.0.5 is one miniupnpd accepts as public
# (it refuses RFC 1918 / documentation / CGN ranges on the WAN side).
LAB_GW_IP=192.168.86.1
LAB_LAN_IP=192.168.86.250
LAB_WAN_IP=11.0.0.5
LAB_INET_IP=11.0.0.1
LAB_HTTP_PORT=5000
export LAB_GW_IP LAB_LAN_IP LAB_WAN_IP LAB_INET_IP LAB_HTTP_PORT

# IPv6 (only with LAB_IPV6=1). The LAN is a ULA /64 (RFC 4193), the WAN link a /64 from the
# documentation prefix (RFC 3849): nothing here is routable outside the namespaces. miniupnpd 2.3.1
# accepts both: an IPv6 pinhole is not NAT, so it never checks the WAN address the way it refuses
# reserved IPv4 WAN addresses. The external address of a pinhole is the LAN host's own address.
LAB_LAN_PREFIX6=fd00:86::/64
LAB_LAN_IP6=fd00:86::250
LAB_GW_IP6=fd00:86::1          # the gateway's LAN address: where a LAN client sends PCP (port 5351)
LAB_WAN_IP6=2001:db8:11::5     # the gateway's WAN address (inet routes fd00:86::/64 via it)
LAB_INET_IP6=2001:db8:11::1
export LAB_LAN_PREFIX6 LAB_LAN_IP6 LAB_GW_IP6 LAB_WAN_IP6 LAB_INET_IP6

# The rootDesc URL miniupnpd serves on the LAN (checked in the lab: /rootDesc.xml on `port=`).
LAB_ROOTDESC_URL="http://${LAB_GW_IP}:${LAB_HTTP_PORT}/rootDesc.xml"
export LAB_ROOTDESC_URL

LAB_READY_TIMEOUT=${LAB_READY_TIMEOUT:-5}   # seconds miniupnpd gets to answer after start
_lab_up_done=0

_lab_say() { printf 'lab: %s\n' "$*" >&2; }
# Wall clock in microseconds (bash 5's EPOCHREALTIME), and a duration since T0 as "S.SS" seconds.
_lab_now_us() { local t=${EPOCHREALTIME:-$(date +%s.%6N)}; echo "${t/./}"; }
_lab_since() { local d=$(($(_lab_now_us) - $1)); printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000)); }

# ---------------------------------------------------------------------------------------------------
# Prerequisites. ctest treats exit 77 as "skipped" (SKIP_RETURN_CODE 77), so a machine without root or
# without the packages reports a skip with its reason instead of a failure (except under
# NATPUNCH_REQUIRE_LAB=1, which .ci/run sets).
lab_require() {
  local b
  # CI sets NATPUNCH_REQUIRE_LAB=1: there a lab that cannot run is a failure, never a quiet skip.
  _lab_skip() {
    if [[ ${NATPUNCH_REQUIRE_LAB:-0} == 1 ]]; then
      echo "FAIL (NATPUNCH_REQUIRE_LAB=1): $*"
      exit 1
    fi
    echo "SKIP: $*"
    exit 77
  }
  if [[ $(id -u) -ne 0 ]]; then
    _lab_skip "needs root to create network namespaces (run as root, e.g. sudo ctest -R lab)"
  fi
  for b in ip nft miniupnpd natpmpc python3 timeout "$@"; do
    if ! command -v "$b" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$b ]]; then
      _lab_skip "'$b' not found (apt-get install iproute2 nftables miniupnpd-nftables natpmpc miniupnpc python3)"
    fi
  done
  # Root is not enough inside some containers (no CAP_SYS_ADMIN / CAP_NET_ADMIN): try for real.
  local probe="npchk$$"
  if ! ip netns add "$probe" 2>/dev/null; then
    _lab_skip "'ip netns add' fails here (no CAP_SYS_ADMIN/CAP_NET_ADMIN in this container?)"
  fi
  if ! ip netns exec "$probe" ip link add "${probe}a" type veth peer name "${probe}b" 2>/dev/null; then
    ip netns del "$probe" 2>/dev/null || true
    _lab_skip "cannot create veth pairs in a network namespace (veth module missing?)"
  fi
  # LAB_IPV6=1: the kernel must also do IPv6 inside a namespace (no ipv6.disable=1, not disabled by
  # default for new namespaces): an address must be addable on a veth without waiting for DAD.
  if [[ ${LAB_IPV6:-0} == 1 ]]; then
    local why=
    if [[ ! -d /proc/sys/net/ipv6 ]]; then
      why="the kernel has no IPv6 (booted with ipv6.disable=1, or built without it)"
    elif ! ip netns exec "$probe" sh -c "
        sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 &&
        ip -6 addr add fd00:86::9/64 dev ${probe}a nodad" 2>/dev/null; then
      why="cannot add an IPv6 address inside a network namespace (IPv6 disabled for namespaces?)"
    fi
    if [[ -n $why ]]; then
      ip netns del "$probe" 2>/dev/null || true
      _lab_skip "LAB_IPV6=1: $why"
    fi
  fi
  ip netns del "$probe" 2>/dev/null || true
}

# miniupnpd lives in /usr/sbin, which is not on every root PATH (e.g. `su` without `-`).
_lab_miniupnpd_bin() { command -v miniupnpd 2>/dev/null || echo /usr/sbin/miniupnpd; }

lab_lan()  { ip netns exec "$LAB_NS_LAN" "$@"; }
lab_gw()   { ip netns exec "$LAB_NS_GW" "$@"; }
lab_inet() { ip netns exec "$LAB_NS_INET" "$@"; }

lab_log_tail() {
  local n=${1:-40}
  if [[ -n ${LAB_DIR:-} && -f $LAB_DIR/miniupnpd.log ]]; then
    echo "---- last $n lines of miniupnpd log ($LAB_DIR/miniupnpd.log) ----" >&2
    tail -n "$n" "$LAB_DIR/miniupnpd.log" >&2 || true
    echo "---- end of miniupnpd log ----" >&2
  fi
}

# ---------------------------------------------------------------------------------------------------
# Bring-up.

# A prefix unique to this run so parallel runs (and leftovers of a crashed one) never collide.
# Interface names must fit IFNAMSIZ-1 = 15 characters: prefix (<= 10) + 3-letter suffix.
_lab_new_prefix() {
  local rnd
  rnd=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
  printf 'np%x%s' "$$" "$rnd" | cut -c1-10
}

_lab_write_nft() {
  # miniupnpd's nftables backend adds rules to these chains but does not create them (LAB.md).
  # Forward policy is drop, so a mapping only works if miniupnpd's own filter rule lets it through:
  # the proof then covers both halves miniupnpd writes (DNAT + forward accept).
  # The `inet` family covers IPv6 too (LAB_IPV6=1): new inbound IPv6 connections are dropped like a
  # real IPv6 home router (RFC 6092) unless miniupnpd put a pinhole (an accept rule, no DNAT) into the
  # same `miniupnpd` chain. The masquerade is IPv4 only: IPv6 leaves the LAN unchanged (no NAT66).
  cat >"$LAB_DIR/ruleset.nft" <<EOF
table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "$LAB_IF_GW_LAN" oifname "$LAB_IF_GW_WAN" accept
    jump miniupnpd
  }
  chain miniupnpd {
  }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    meta nfproto ipv4 oifname "$LAB_IF_GW_WAN" masquerade
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting_miniupnpd {
  }
}
EOF
}

# IPv6 (LAB_IPV6=1), part 1, before the veths exist: IPv6 on, and no duplicate address detection in
# the three namespaces. A new interface copies net.ipv6.conf.default, so the veths created next (and
# their link-local addresses) are usable at once instead of "tentative" for ~1-2 s; the addresses
# below are also added with `nodad`. No router advertisements are involved: everything is static.
_lab_ipv6_sysctls() {
  local ns
  for ns in "$LAB_NS_LAN" "$LAB_NS_GW" "$LAB_NS_INET"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
      net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 || return 1
  done
}

# IPv6, part 2: addresses and routes, mirroring IPv4.
#   lan  fd00:86::250/64, default via fd00:86::1
#   gw   fd00:86::1/64 (LAN) and 2001:db8:11::5/64 (WAN), forwarding=1, default via 2001:db8:11::1
#   inet 2001:db8:11::1/64, fd00:86::/64 via 2001:db8:11::5 (the ISP routes the customer's prefix)
_lab_ipv6_addresses() {
  lab_lan ip -6 addr add "$LAB_LAN_IP6/64" dev "$LAB_IF_LAN" nodad &&
    lab_lan ip -6 route add default via "$LAB_GW_IP6" dev "$LAB_IF_LAN" &&
    lab_gw ip -6 addr add "$LAB_GW_IP6/64" dev "$LAB_IF_GW_LAN" nodad &&
    lab_gw ip -6 addr add "$LAB_WAN_IP6/64" dev "$LAB_IF_GW_WAN" nodad &&
    lab_gw ip -6 route add default via "$LAB_INET_IP6" dev "$LAB_IF_GW_WAN" &&
    lab_gw sysctl -qw net.ipv6.conf.all.forwarding=1 &&
    lab_inet ip -6 addr add "$LAB_INET_IP6/64" dev "$LAB_IF_INET" nodad &&
    lab_inet ip -6 route add "$LAB_LAN_PREFIX6" via "$LAB_WAN_IP6" dev "$LAB_IF_INET"
}

_lab_write_conf() {
  local uuid
  uuid=$(cat /proc/sys/kernel/random/uuid)
  {
    echo "ext_ifname=$LAB_IF_GW_WAN"
    echo "listening_ip=$LAB_IF_GW_LAN"
    echo "port=$LAB_HTTP_PORT"
    # LAB_NATPMP=no: a UPnP-only router (miniupnpd then answers neither NAT-PMP nor PCP on 5351).
    # LAB_UPNP=no: no IGD (with lab_natpmp_only, a NAT-PMP-only router).
    echo "enable_natpmp=${LAB_NATPMP:-yes}"
    echo "enable_upnp=${LAB_UPNP:-yes}"
    echo "secure_mode=yes"
    echo "uuid=$uuid"
    echo "system_uptime=no"
    # No lease_file on purpose: a reboot must forget every mapping, like a home router.
    if [[ ${LAB_IGD_V1:-0} == 1 ]]; then echo "force_igd_desc_v1=yes"; fi
    # IPv6: nothing else is needed in 2.3.1. IPv6 is on unless ipv6_disable=yes; PCP listens on
    # [::]:5351 (answers on the LAN's ULA and link-local addresses, ignores senders not routed via a
    # LAN interface) and writes pinholes as accept rules `iif <ext_ifname6>` in the `miniupnpd` chain.
    # ext_ifname6 defaults to ext_ifname; it is explicit here because a wrong name is a silent trap:
    # miniupnpd starts, answers SUCCESS, and writes pinholes `iif 0` that never match.
    # Not set on purpose: ipv6_listening_ip (a global/ULA address works but then the link-local
    # address gets no answer; a link-local one fails to bind, EINVAL, and PCP over IPv6 is off).
    if [[ ${LAB_IPV6:-0} == 1 ]]; then echo "ext_ifname6=$LAB_IF_GW_WAN"; fi
    # Extra lines (e.g. more allow/deny rules; miniupnpd uses the first rule that matches).
    if [[ -n ${LAB_MINIUPNPD_EXTRA:-} ]]; then printf '%s\n' "$LAB_MINIUPNPD_EXTRA"; fi
    echo "allow 1024-65535 192.168.86.0/24 1024-65535"
    echo "deny 0-65535 0.0.0.0/0 0-65535"
  } >"$LAB_DIR/miniupnpd.conf"
}

lab_up() {
  if [[ $_lab_up_done == 1 ]]; then
    _lab_say "lab_up called twice; tear down first"
    return 1
  fi
  local t0
  t0=$(_lab_now_us)
  LAB_PREFIX=$(_lab_new_prefix)
  LAB_NS_LAN="${LAB_PREFIX}-lan"
  LAB_NS_GW="${LAB_PREFIX}-gw"
  LAB_NS_INET="${LAB_PREFIX}-inet"
  LAB_IF_LAN="${LAB_PREFIX}lan"     # in lan, faces the router
  LAB_IF_GW_LAN="${LAB_PREFIX}gwl"  # in gw, the router's LAN port
  LAB_IF_GW_WAN="${LAB_PREFIX}gww"  # in gw, the router's WAN port
  LAB_IF_INET="${LAB_PREFIX}net"    # in inet, the ISP side
  lab_reap_stale
  LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/natpunch-lab.XXXXXX")
  # natpunch records what it makes: each lab run gets a record of its own, so no run renews another's.
  export NATPUNCH_STATE_DIR="$LAB_DIR/state"
  # Who owns this lab, so a later run can clean up after a run that was SIGKILLed (e.g. ctest timeout).
  echo "$$" >"$LAB_DIR/owner"
  echo "$LAB_PREFIX-lan $LAB_PREFIX-gw $LAB_PREFIX-inet" >"$LAB_DIR/namespaces"
  export LAB_PREFIX LAB_NS_LAN LAB_NS_GW LAB_NS_INET LAB_IF_LAN LAB_IF_GW_LAN LAB_IF_GW_WAN LAB_IF_INET LAB_DIR
  _lab_up_done=1

  # Teardown must happen on every way out, including a failed step under set -e and Ctrl-C.
  trap '_lab_on_exit' EXIT
  trap '_lab_on_signal 130' INT
  trap '_lab_on_signal 143' TERM

  ip netns add "$LAB_NS_LAN" &&
    ip netns add "$LAB_NS_GW" &&
    ip netns add "$LAB_NS_INET" || { _lab_say "cannot create namespaces"; return 1; }
  if [[ ${LAB_IPV6:-0} == 1 ]]; then
    _lab_ipv6_sysctls || { _lab_say "cannot enable IPv6 in the namespaces"; return 1; }
  fi

  # Create the veth ends directly inside their namespaces: nothing ever appears in the host namespace,
  # so names cannot clash with the host's interfaces.
  ip link add "$LAB_IF_LAN" netns "$LAB_NS_LAN" type veth peer name "$LAB_IF_GW_LAN" netns "$LAB_NS_GW" &&
    ip link add "$LAB_IF_GW_WAN" netns "$LAB_NS_GW" type veth peer name "$LAB_IF_INET" netns "$LAB_NS_INET" ||
    { _lab_say "cannot create veth pairs"; return 1; }

  {
    lab_lan ip link set lo up &&
      lab_lan ip addr add "$LAB_LAN_IP/24" dev "$LAB_IF_LAN" &&
      lab_lan ip link set "$LAB_IF_LAN" up &&
      lab_lan ip route add default via "$LAB_GW_IP" &&
      lab_gw ip link set lo up &&
      lab_gw ip addr add "$LAB_GW_IP/24" dev "$LAB_IF_GW_LAN" &&
      lab_gw ip addr add "$LAB_WAN_IP/24" dev "$LAB_IF_GW_WAN" &&
      lab_gw ip link set "$LAB_IF_GW_LAN" up &&
      lab_gw ip link set "$LAB_IF_GW_WAN" up &&
      lab_gw ip route add default via "$LAB_INET_IP" &&
      lab_gw sysctl -qw net.ipv4.ip_forward=1 &&
      lab_inet ip link set lo up &&
      lab_inet ip addr add "$LAB_INET_IP/24" dev "$LAB_IF_INET" &&
      lab_inet ip link set "$LAB_IF_INET" up
  } || { _lab_say "cannot configure addresses/routes"; return 1; }
  if [[ ${LAB_IPV6:-0} == 1 ]]; then
    _lab_ipv6_addresses || { _lab_say "cannot configure IPv6 addresses/routes"; return 1; }
    # The gateway's link-local address on the LAN (what a router advertisement would name as the
    # default router; miniupnpd answers PCP there too). Kernel-made, so read back.
    LAB_GW_LL6=$(lab_gw ip -6 -o addr show dev "$LAB_IF_GW_LAN" scope link | awk '{print $4}' | cut -d/ -f1)
    [[ $LAB_GW_LL6 == fe80:* ]] || { _lab_say "gw has no link-local address on $LAB_IF_GW_LAN"; return 1; }
    export LAB_GW_LL6
  fi

  _lab_write_nft
  lab_gw nft -f "$LAB_DIR/ruleset.nft" || { _lab_say "cannot load nftables table"; return 1; }
  _lab_write_conf

  # LAB_START_GATEWAY=0 leaves the router off, e.g. to start a listener before its first packet.
  if [[ ${LAB_START_GATEWAY:-1} == 1 ]]; then
    lab_gateway_start || return 1
  fi
  LAB_UP_SECONDS=$(_lab_since "$t0")
  export LAB_UP_SECONDS
}

# lab_add_lan_host NAME ADDR...: a second device on the LAN (a rogue responder, another host), after
# lab_up (IPv4). The LAN host's side becomes a bridge (the address and default route move from its veth
# to the bridge), with a veth to the new namespace ${LAB_PREFIX}-NAME holding each ADDR/24. The router
# keeps its one LAN port. Sets LAB_NS_<NAME> (upper case); lab_down removes the namespace.
lab_add_lan_host() {
  local name=$1 ns="${LAB_PREFIX}-$1" br="${LAB_PREFIX}br" a
  shift
  ip netns add "$ns" || { _lab_say "cannot create namespace $ns"; return 1; }
  LAB_NS_EXTRA="${LAB_NS_EXTRA:-} $ns"
  echo " $ns" >>"$LAB_DIR/namespaces"
  if ! lab_lan ip link show "$br" >/dev/null 2>&1; then
    lab_lan ip link add "$br" type bridge &&
      lab_lan ip link set "$br" up &&
      lab_lan ip addr del "$LAB_LAN_IP/24" dev "$LAB_IF_LAN" &&
      lab_lan ip link set "$LAB_IF_LAN" master "$br" &&
      lab_lan ip addr add "$LAB_LAN_IP/24" dev "$br" &&
      lab_lan ip route replace default via "$LAB_GW_IP" dev "$br" || { _lab_say "cannot bridge the LAN side"; return 1; }
  fi
  ip link add "${LAB_PREFIX}${name:0:3}" netns "$LAB_NS_LAN" type veth peer name eth0 netns "$ns" &&
    lab_lan ip link set "${LAB_PREFIX}${name:0:3}" master "$br" &&
    lab_lan ip link set "${LAB_PREFIX}${name:0:3}" up &&
    ip netns exec "$ns" ip link set lo up &&
    ip netns exec "$ns" ip link set eth0 up || { _lab_say "cannot attach $ns to the LAN"; return 1; }
  for a in "$@"; do ip netns exec "$ns" ip addr add "$a/24" dev eth0 || return 1; done
  printf -v "LAB_NS_${name^^}" '%s' "$ns"
  export LAB_NS_EXTRA "LAB_NS_${name^^}"
}

# Start miniupnpd in gw and wait (bounded) until both NAT-PMP and HTTP answer.
lab_gateway_start() {
  local bin
  bin=$(_lab_miniupnpd_bin)
  echo "==== miniupnpd start $(date -u +%FT%TZ) ====" >>"$LAB_DIR/miniupnpd.log"
  ip netns exec "$LAB_NS_GW" "$bin" -f "$LAB_DIR/miniupnpd.conf" -P "$LAB_DIR/miniupnpd.pid" -d \
    >>"$LAB_DIR/miniupnpd.log" 2>&1 &
  LAB_MINIUPNPD_PID=$!   # `ip netns exec` execs, so this is miniupnpd itself
  export LAB_MINIUPNPD_PID
  if ! _lab_wait_ready; then
    _lab_say "miniupnpd did not answer within ${LAB_READY_TIMEOUT}s"
    lab_log_tail 40
    return 1
  fi
}

# Polls NAT-PMP (external address request, opcode 0) and the HTTP port from lan, every 50 ms, for at
# most LAB_READY_TIMEOUT seconds. Exits early if miniupnpd died (e.g. a config error).
_lab_wait_ready() {
  local gw6=
  if [[ ${LAB_IPV6:-0} == 1 ]]; then gw6=$LAB_GW_IP6; fi
  lab_lan timeout $((LAB_READY_TIMEOUT + 2)) python3 - "$LAB_GW_IP" "$LAB_HTTP_PORT" "$LAB_READY_TIMEOUT" \
    "$LAB_MINIUPNPD_PID" "$gw6" "${LAB_NATPMP:-yes}" "${LAB_UPNP:-yes}" <<'EOF'
import os, socket, sys, time
gw, http_port, limit, pid = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
gw6 = sys.argv[5]
deadline = time.monotonic() + limit
natpmp_ok = sys.argv[6] != "yes"  # a UPnP-only router: nothing to wait for on 5351
http_ok = sys.argv[7] != "yes"
pcp6_ok = not gw6  # with LAB_IPV6=1: a PCP ANNOUNCE over IPv6 must be answered as well
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("miniupnpd exited")
    if not natpmp_ok:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(0.05)
        try:
            u.connect((gw, 5351))
            u.send(b"\x00\x00")
            r = u.recv(64)
            natpmp_ok = len(r) >= 12 and r[0] == 0 and r[1] == 128
        except OSError:
            pass
        finally:
            u.close()
    if not http_ok:
        try:
            socket.create_connection((gw, http_port), timeout=0.05).close()
            http_ok = True
        except OSError:
            pass
    if not pcp6_ok:
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u.settimeout(0.05)
        try:
            u.connect((gw6, 5351))
            me = socket.inet_pton(socket.AF_INET6, u.getsockname()[0])
            u.send(bytes([2, 0, 0, 0, 0, 0, 0, 0]) + me)  # PCP v2 ANNOUNCE (RFC 6887 14.1)
            r = u.recv(1100)
            pcp6_ok = len(r) >= 24 and r[0] == 2 and r[1] == 0x80
        except OSError:
            pass
        finally:
            u.close()
    if natpmp_ok and http_ok and pcp6_ok:
        sys.exit(0)
    time.sleep(0.05)
sys.exit(1)
EOF
}

# lab_gateway_reconfigure: the router again with the current LAB_NATPMP / LAB_UPNP (a new config, its
# chains flushed, like another router model on the same wires).
lab_gateway_reconfigure() {
  lab_gateway_stop
  lab_gw nft flush chain inet filter miniupnpd &&
    lab_gw nft flush chain inet filter prerouting_miniupnpd &&
    lab_gw nft flush chain inet filter postrouting_miniupnpd || return 1
  _lab_write_conf
  lab_gateway_start
}

# lab_natpmp_only on|off: make the router a NAT-PMP-only one, answering PCP as RFC 6886 §3.5 has it: every
# version-2 request to 5351 is redirected (nftables, in gw) to a small responder that answers "unsupported
# version" (version 0, result 1), through the same conntrack so the answer comes from 5351. With
# LAB_UPNP=no the router speaks NAT-PMP alone.
lab_natpmp_only() {
  if [[ $1 == off ]]; then
    lab_gw nft delete table ip natpunch_lab_pcp 2>/dev/null || true
    [[ -n ${LAB_NATPMP_ONLY_PID:-} ]] && kill "$LAB_NATPMP_ONLY_PID" 2>/dev/null || true
    LAB_NATPMP_ONLY_PID=
    return 0
  fi
  printf '%s\n' 'table ip natpunch_lab_pcp {' '  chain pre {' \
    '    type nat hook prerouting priority -150; policy accept;' \
    "    iifname \"$LAB_IF_GW_LAN\" udp dport 5351 @th,64,8 2 redirect to :5352" '  }' '}' >"$LAB_DIR/natpmp_only.nft"
  lab_gw nft -f "$LAB_DIR/natpmp_only.nft" || return 1
  lab_gw timeout 600 python3 -c '
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5352))
start = time.monotonic()
while True:
    data, peer = s.recvfrom(1100)
    if len(data) >= 2:
        s.sendto(struct.pack("!BBHI", 0, 0x80 | (data[1] & 0x7F), 1, int(time.monotonic() - start)), peer)
' &
  LAB_NATPMP_ONLY_PID=$!
  export LAB_NATPMP_ONLY_PID
  # Ready once it listens (bounded: 5 s; python starts slowly on a loaded machine).
  local i
  for ((i = 0; i < 100; i++)); do
    lab_gw ss -Hlun 'sport = :5352' 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  _lab_say "the NAT-PMP-only responder did not start"
  return 1
}

# Stop miniupnpd (SIGTERM, then SIGKILL after 3 s) and wait until it is gone.
lab_gateway_stop() {
  local pid=${LAB_MINIUPNPD_PID:-} i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  LAB_MINIUPNPD_PID=
}

# A home-router reboot: the daemon restarts (NAT-PMP/PCP epoch back to ~0) and the kernel forgets
# every forwarding (a real router loses its ruleset at power-off; miniupnpd may leave rules behind on
# SIGTERM, so flush its chains explicitly).
lab_reboot_gateway() {
  lab_gateway_stop
  lab_gw nft flush chain inet filter miniupnpd &&
    lab_gw nft flush chain inet filter prerouting_miniupnpd &&
    lab_gw nft flush chain inet filter postrouting_miniupnpd ||
    { _lab_say "cannot flush miniupnpd chains"; return 1; }
  lab_gw conntrack -F >/dev/null 2>&1 || true   # optional tool; established flows die with the box
  lab_gateway_start
}

# lab_change_wan_ip NEW_IP: the ISP hands the router a new public address (same /24 as inet). Like a
# router's DHCP hook, it tells miniupnpd with SIGUSR1, which makes it announce the change on the LAN.
lab_change_wan_ip() {
  local new=$1 old=$LAB_WAN_IP
  # Old one first: deleting a primary address also deletes its secondaries (and the default route).
  lab_gw ip addr del "$old/24" dev "$LAB_IF_GW_WAN" &&
    lab_gw ip addr add "$new/24" dev "$LAB_IF_GW_WAN" &&
    lab_gw ip route replace default via "$LAB_INET_IP" ||
    { _lab_say "cannot change WAN address to $new"; return 1; }
  LAB_WAN_IP=$new
  export LAB_WAN_IP
  if [[ -n ${LAB_MINIUPNPD_PID:-} ]]; then kill -USR1 "$LAB_MINIUPNPD_PID"; fi
}

# ---------------------------------------------------------------------------------------------------
# Proofs from outside. A listener in lan gives a fresh token; inet connects to the gateway's public
# address. Reachable means the token came through the gateway's port mapping.

_lab_token() { printf 'natpunch-lab-%s' "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"; }

# Waits (bounded: 3 s) for FILE to appear; used to know a listener is bound before connecting.
_lab_wait_file() {
  local f=$1 i
  for ((i = 0; i < 60; i++)); do
    [[ -e $f ]] && return 0
    sleep 0.05
  done
  return 1
}

# lab_tcp_reachable INTERNAL_PORT [EXTERNAL_PORT] -> 0 if a connection from inet to
# LAB_WAN_IP:EXTERNAL_PORT reached a listener in lan on INTERNAL_PORT and carried its token back.
# Sets LAB_TOKEN (sent), LAB_RECEIVED (what inet got), LAB_PEER (who lan saw connecting),
# LAB_CONNECT_ERROR (why inet failed, e.g. "ConnectionRefusedError").
lab_tcp_reachable() { _lab_tcp_reach 0.0.0.0 "$LAB_WAN_IP" "$1" "${2:-$1}" 3; }

# lab_tcp6_reachable PORT -> the same over IPv6 (LAB_IPV6=1): listener on [LAB_LAN_IP6]:PORT, inet
# connects to [LAB_LAN_IP6]:PORT, the LAN host's own address (a pinhole is not NAT). The gateway drops
# an unmapped connection silently, so "unreachable" costs the whole connect timeout,
# LAB_CONNECT_TIMEOUT6 (default 2 s; a mapped connection takes a few ms here).
lab_tcp6_reachable() {
  _lab_tcp_reach "$LAB_LAN_IP6" "$LAB_LAN_IP6" "$1" "$1" "${LAB_CONNECT_TIMEOUT6:-2}"
}

# _lab_tcp_reach BIND_ADDR DEST_ADDR INTERNAL_PORT EXTERNAL_PORT CONNECT_TIMEOUT: the listener in lan
# binds BIND_ADDR:INTERNAL_PORT (IPv6 when BIND_ADDR has a colon), inet connects to DEST:EXTERNAL_PORT.
_lab_tcp_reach() {
  local bind=$1 dest=$2 port=$3 ext=$4 ctimeout=$5 life=${LAB_LISTEN_SECONDS:-6} d lpid rc=1
  LAB_TOKEN=$(_lab_token) LAB_RECEIVED='' LAB_PEER='' LAB_CONNECT_ERROR=''
  d=$(mktemp -d "$LAB_DIR/tcp.XXXXXX")
  # Listener: one connection at most, gone after `life` seconds even if nobody comes.
  # Called without the lab_lan wrapper so $! is the process itself (ip -> timeout), not a subshell.
  ip netns exec "$LAB_NS_LAN" timeout $((life + 1)) python3 - "$port" "$LAB_TOKEN" "$d" "$life" "$bind" <<'EOF' &
import socket, sys
port, token, d, life, bind = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
s = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((bind, port))
s.listen(1)
s.settimeout(life)
open(d + "/ready", "w").close()
try:
    c, peer = s.accept()
except socket.timeout:
    sys.exit(1)
open(d + "/peer", "w").write(peer[0])
c.sendall((token + "\n").encode())
c.close()
EOF
  lpid=$!
  if ! _lab_wait_file "$d/ready"; then
    _lab_say "TCP listener on lan $bind port $port did not start"
    kill "$lpid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
    return 2
  fi
  # Client: CONNECT_TIMEOUT (3 s for IPv4) to connect and read one line.
  LAB_RECEIVED=$(lab_inet timeout $((${ctimeout%.*} + 2)) python3 - "$dest" "$ext" "$ctimeout" 2>"$d/client.err" <<'EOF'
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    data = b""
    while not data.endswith(b"\n"):
        chunk = c.recv(256)
        if not chunk:
            break
        data += chunk
    print(data.decode(errors="replace").strip())
except OSError as e:
    sys.stderr.write(type(e).__name__)
    sys.exit(1)
EOF
  ) || true
  LAB_CONNECT_ERROR=$(cat "$d/client.err" 2>/dev/null || true)
  kill "$lpid" 2>/dev/null || true
  wait "$lpid" 2>/dev/null || true
  LAB_PEER=$(cat "$d/peer" 2>/dev/null || true)
  [[ -n $LAB_RECEIVED && $LAB_RECEIVED == "$LAB_TOKEN" ]] && rc=0
  rm -rf "$d"
  return $rc
}

# lab_udp_reachable INTERNAL_PORT [EXTERNAL_PORT] -> 0 if a datagram from inet to
# LAB_WAN_IP:EXTERNAL_PORT reached a listener in lan on INTERNAL_PORT (token compared). UDP has no
# refusal, so "unreachable" is decided by silence: the listener waits 1.5 s.
lab_udp_reachable() { _lab_udp_reach 0.0.0.0 "$LAB_WAN_IP" "$1" "${2:-$1}"; }

# lab_udp6_reachable PORT -> the same over IPv6: inet sends to [LAB_LAN_IP6]:PORT (LAB_IPV6=1).
lab_udp6_reachable() { _lab_udp_reach "$LAB_LAN_IP6" "$LAB_LAN_IP6" "$1" "$1"; }

# _lab_udp_reach BIND_ADDR DEST_ADDR INTERNAL_PORT EXTERNAL_PORT (as _lab_tcp_reach).
_lab_udp_reach() {
  local bind=$1 dest=$2 port=$3 ext=$4 d lpid rc=1
  LAB_TOKEN=$(_lab_token) LAB_RECEIVED='' LAB_PEER='' LAB_CONNECT_ERROR=''
  d=$(mktemp -d "$LAB_DIR/udp.XXXXXX")
  ip netns exec "$LAB_NS_LAN" timeout 5 python3 - "$port" "$d" "$bind" <<'EOF' &
import socket, sys
port, d, bind = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((bind, port))
s.settimeout(1.5)
open(d + "/ready", "w").close()
try:
    data, peer = s.recvfrom(256)
except socket.timeout:
    sys.exit(1)
open(d + "/peer", "w").write(peer[0])
open(d + "/got", "w").write(data.decode(errors="replace"))
EOF
  lpid=$!
  if ! _lab_wait_file "$d/ready"; then
    _lab_say "UDP listener on lan $bind port $port did not start"
    kill "$lpid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
    return 2
  fi
  # Three copies 100 ms apart: one lost datagram must not fail the proof.
  lab_inet timeout 3 python3 - "$dest" "$ext" "$LAB_TOKEN" <<'EOF' || true
import socket, sys, time
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    try:
        s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
    except OSError:
        pass
    time.sleep(0.1)
EOF
  wait "$lpid" 2>/dev/null || true
  LAB_RECEIVED=$(cat "$d/got" 2>/dev/null || true)
  LAB_PEER=$(cat "$d/peer" 2>/dev/null || true)
  [[ -n $LAB_RECEIVED && $LAB_RECEIVED == "$LAB_TOKEN" ]] && rc=0
  rm -rf "$d"
  return $rc
}

# lab_prove_tcp PORT reachable|unreachable [EXTERNAL_PORT]: succeeds when what inet observes matches
# the expectation; on a mismatch says what was seen on stderr.
lab_prove_tcp() { _lab_prove tcp "$@"; }
lab_prove_udp() { _lab_prove udp "$@"; }
# lab_prove_tcp6 PORT reachable|unreachable (LAB_IPV6=1): inet -> [LAB_LAN_IP6]:PORT, the LAN host
# itself (an IPv6 pinhole keeps address and port). lab_prove_udp6 likewise.
lab_prove_tcp6() { _lab_prove tcp6 "$1" "$2"; }
lab_prove_udp6() { _lab_prove udp6 "$1" "$2"; }

_lab_prove() {
  local proto=$1 port=$2 expect=$3 ext=${4:-$2} got dest
  case $expect in reachable | unreachable) ;; *)
    _lab_say "lab_prove_$proto: EXPECT must be reachable or unreachable, not '$expect'"
    return 2
    ;;
  esac
  if "lab_${proto}_reachable" "$port" "$ext"; then got=reachable; else got=unreachable; fi
  if [[ $got == "$expect" ]]; then return 0; fi
  case $proto in *6) dest="[$LAB_LAN_IP6]:$port" ;; *) dest="$LAB_WAN_IP:$ext" ;; esac
  _lab_say "$proto $dest -> lan:$port: expected $expect, got $got" \
    "(received '${LAB_RECEIVED}', token '${LAB_TOKEN}', error '${LAB_CONNECT_ERROR}')"
  return 1
}

# ---------------------------------------------------------------------------------------------------
# Test steps (TAP-like output) and the gateway's own view of its table.

LAB_FAILURES=0

# lab_step DESCRIPTION COMMAND...: runs COMMAND and prints one line, "ok - DESCRIPTION" or
# "not ok - DESCRIPTION" (then LAB_FAILURES grows), whatever COMMAND does. Never fails itself, so a
# script goes on to its next step under set -e.
# lab_natpunch ARGS...: runs $NATPUNCH in lan like a user would (the lan's default route points at the
# gateway). Sets OUT (stdout), ERR (stderr) and RC (status); always returns 0 so tests check RC. The
# outer `timeout` (LAB_NP_TIMEOUT seconds, default 20) guards against a hang; natpunch's own --timeout
# should fire first.
OUT='' ERR='' RC=0
lab_natpunch() {
  RC=0
  OUT=$(lab_lan timeout "${LAB_NP_TIMEOUT:-20}" "$NATPUNCH" "$@" 2>"$LAB_DIR/np.err") || RC=$?
  ERR=$(cat "$LAB_DIR/np.err")
  if [[ $RC -ne 0 ]]; then
    echo "# natpunch $* -> exit $RC" >&2
    [[ -n $OUT ]] && echo "#   stdout: $OUT" >&2
    [[ -n $ERR ]] && echo "#   stderr: $ERR" >&2
  fi
  return 0
}

# lab_wait_until SECONDS COMMAND...: runs COMMAND every 0.25 s until it succeeds (0) or SECONDS pass (1).
lab_wait_until() {
  local limit=$1 i
  shift
  for ((i = 0; i < limit * 4; i++)); do
    if "$@"; then return 0; fi
    sleep 0.25
  done
  return 1
}

# lab_keep_start NAME NATPUNCH_ARGS...: a long-running natpunch (`add ... --keep`) in lan, in the
# background, with --json -v and --timeout 5; stdout (one JSON event per line) to $LAB_DIR/keep.NAME,
# stderr to keep.NAME.err. Sets KEEP_PID and KEEP_OUT. Started through `timeout --foreground`, which
# passes our SIGTERM on to natpunch exactly once (and ends it after 150 s anyway). Without --foreground,
# GNU timeout sends it twice, to natpunch and then to its process group, and natpunch takes a second
# signal as "cancel the delete on exit".
KEEP_PID='' KEEP_OUT='' KEEP_RC=0
lab_keep_start() {
  local name=$1
  shift
  KEEP_OUT="$LAB_DIR/keep.$name"
  ip netns exec "$LAB_NS_LAN" timeout --foreground 150 "$NATPUNCH" --timeout 5 --json -v "$@" \
    >"$KEEP_OUT" 2>"$KEEP_OUT.err" &
  KEEP_PID=$!
}
# lab_keep_stop: SIGTERM to the keeper started last; waits for it and sets KEEP_RC to its status.
lab_keep_stop() {
  KEEP_RC=0
  kill -TERM "$KEEP_PID" 2>/dev/null || true
  wait "$KEEP_PID" || KEEP_RC=$?
}
# lab_has_event FILE EVENT: one of FILE's JSON lines is {"event":"EVENT",...}.
lab_has_event() { grep -q "\"event\":\"$2\"" "$1" 2>/dev/null; }

# lab_json_check JSON 'python boolean expression over d', e.g. lab_json_check "$OUT" 'd["external_port"] == 8080'.
# Fails (and says what it saw) unless JSON is exactly one line holding one object that satisfies EXPR.
lab_json_check() {
  python3 - "$1" "$2" <<'PY'
import json, sys
text, expr = sys.argv[1], sys.argv[2]
lines = [l for l in text.splitlines() if l.strip()]
if len(lines) != 1:
    sys.exit(f"# expected one JSON line, got {len(lines)}: {text!r}")
try:
    d = json.loads(lines[0])
except ValueError as e:
    sys.exit(f"# not JSON ({e}): {lines[0]!r}")
if not isinstance(d, dict):
    sys.exit(f"# not a JSON object: {lines[0]!r}")
try:
    good = eval("(" + expr + ")", {}, {"d": d})
except Exception as e:  # a missing key is a failed check, with its name shown
    sys.exit(f"# {expr}: {type(e).__name__} {e} in {lines[0]}")
if not good:
    sys.exit(f"# {expr} is false for {lines[0]}")
PY
}
lab_json_get() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null; }

lab_step() {
  local desc=$1
  shift
  if "$@"; then echo "ok - $desc"; else
    echo "not ok - $desc"
    LAB_FAILURES=$((LAB_FAILURES + 1))
  fi
}

# lab_finish: the last line of a test script. Prints the summary and exits 1 if any step failed, else 0
# (the EXIT trap then tears the lab down, with miniupnpd's log on a failure).
lab_finish() {
  if [[ $LAB_FAILURES -ne 0 ]]; then
    echo "# $LAB_FAILURES step(s) failed"
    exit 1
  fi
  echo "# all steps passed"
  exit 0
}

# lab_listed TCP|UDP EXTERNAL_PORT INTERNAL_PORT -> 0 if the gateway lists the mapping
# EXTERNAL_PORT -> $LAB_LAN_IP:INTERNAL_PORT. The independent witness: miniupnpd's table as UPnP IGD
# reports it to `upnpc -l` in lan (another protocol and client than natpunch's; NAT-PMP mappings appear
# there as 'NAT-PMP <port> <proto>'). Output captured before grep: with pipefail, a grep -q that exits
# early could SIGPIPE upnpc and fail the pipe.
# The witness must have answered: a list without "ExternalIPAddress =" means upnpc reached nothing, and
# then neither "listed" nor "not listed" is proven (status 2, which lab_step counts as a failure).
_lab_witness_list() {
  LAB_WITNESS_LIST=$(lab_lan timeout 10 upnpc -u "$LAB_ROOTDESC_URL" -l 2>&1) || true
  if ! grep -q "ExternalIPAddress = " <<<"$LAB_WITNESS_LIST"; then
    _lab_say "upnpc got no answer from $LAB_ROOTDESC_URL: $(head -c 300 <<<"$LAB_WITNESS_LIST")"
    return 2
  fi
}
lab_listed() {
  local proto=$1 ext=$2 int=$3
  _lab_witness_list || return 2
  grep -Eq "^ *[0-9]+ $proto +$ext->$LAB_LAN_IP:$int " <<<"$LAB_WITNESS_LIST"
}
lab_unlisted() {
  local proto=$1 ext=$2 int=$3
  _lab_witness_list || return 2
  ! grep -Eq "^ *[0-9]+ $proto +$ext->$LAB_LAN_IP:$int " <<<"$LAB_WITNESS_LIST"
}

# lab_pinhole_listed TCP|UDP PORT [IPV6_ADDR] -> 0 if the gateway's ruleset holds miniupnpd's IPv6
# pinhole for [IPV6_ADDR (default LAB_LAN_IP6)]:PORT. upnpc -l does not list pinholes, so the witness
# here is the rule itself, read with nft in gw. miniupnpd 2.3.1 writes it into the `miniupnpd` chain
# as raw header matches:
#   iif "<ext_ifname6>" th dport PORT @nh,192,128 0x<128-bit address> @nh,48,8 0x6 accept
# (@nh,192,128 is the IPv6 destination, @nh,48,8 the next header: 0x6 TCP, 0x11 UDP).
# lab_pinhole_unlisted is 0 when it is absent. Both return 2 when the chain cannot be read.
_lab_pinhole_rule() {
  local proto=$1 port=$2 addr=${3:-$LAB_LAN_IP6} hex nh
  hex=$(python3 -c 'import ipaddress,sys; print(ipaddress.IPv6Address(sys.argv[1]).packed.hex())' "$addr") ||
    return 2
  case ${proto,,} in tcp) nh=0x6 ;; udp) nh=0x11 ;; *) return 2 ;; esac
  LAB_PINHOLE_CHAIN=$(lab_gw nft list chain inet filter miniupnpd 2>&1) || {
    _lab_say "cannot read the miniupnpd chain: $LAB_PINHOLE_CHAIN"
    return 2
  }
  grep -Eq "th dport $port @nh,192,128 0x$hex @nh,48,8 $nh accept" <<<"$LAB_PINHOLE_CHAIN"
}
lab_pinhole_listed() { _lab_pinhole_rule "$@"; }
lab_pinhole_unlisted() {
  local rc=0
  _lab_pinhole_rule "$@" || rc=$?
  case $rc in 0) return 1 ;; 1) return 0 ;; *) return "$rc" ;; esac
}

# ---------------------------------------------------------------------------------------------------
# Teardown. Idempotent; safe to call from traps and by hand.

# lab_reap_stale: tear down labs whose owning shell is gone (killed with SIGKILL, so no trap ran).
# Only labs recorded in a natpunch-lab.* dir with a dead owner are touched: a lab another run is
# still using is left alone.
lab_reap_stale() {
  local d owner ns pid
  for d in "${TMPDIR:-/tmp}"/natpunch-lab.*; do
    [[ -f $d/owner && -f $d/namespaces ]] || continue
    owner=$(cat "$d/owner")
    [[ $owner =~ ^[0-9]+$ ]] || continue
    kill -0 "$owner" 2>/dev/null && continue
    _lab_say "removing stale lab $d (owner $owner is gone)"
    for ns in $(cat "$d/namespaces"); do
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$d"
  done
}

lab_down() {
  [[ $_lab_up_done == 1 ]] || return 0
  local t0 ns pid i left
  t0=$(_lab_now_us)
  lab_gateway_stop 2>/dev/null || true
  # Everything the lab starts runs through `ip netns exec`, so it lives in one of our namespaces, and
  # every process in them is ours (the names are unique to this run): end exactly those, by id.
  # TERM first, up to 2 s to exit, then KILL.
  for ((i = 0; i < 40; i++)); do
    left=
    for ns in "${LAB_NS_LAN:-}" "${LAB_NS_GW:-}" "${LAB_NS_INET:-}" ${LAB_NS_EXTRA:-}; do
      [[ -n $ns ]] && left+=" $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
    done
    [[ -z ${left// /} ]] && break
    for pid in $left; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.05
  done
  for ns in "${LAB_NS_LAN:-}" "${LAB_NS_GW:-}" "${LAB_NS_INET:-}" ${LAB_NS_EXTRA:-}; do
    [[ -n $ns ]] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  if [[ -n ${LAB_DIR:-} && $LAB_DIR == */natpunch-lab.* && -d $LAB_DIR ]]; then
    if [[ ${LAB_KEEP_DIR:-0} == 1 ]]; then
      rm -f "$LAB_DIR/owner"   # nothing left to reap; keep the logs for a human
      _lab_say "kept $LAB_DIR"
    else
      rm -rf "$LAB_DIR"
    fi
  fi
  _lab_up_done=0
  LAB_DOWN_SECONDS=$(_lab_since "$t0")
  export LAB_DOWN_SECONDS
}

_lab_on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  # 77 is a deliberate skip, not a failure worth a log.
  if [[ $rc -ne 0 && $rc -ne 77 ]]; then lab_log_tail 40; fi
  lab_down
  exit "$rc"
}

_lab_on_signal() {
  _lab_say "interrupted; tearing down"
  exit "$1"   # runs the EXIT trap
}

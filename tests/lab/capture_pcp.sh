#!/usr/bin/env bash
# Records real PCP (RFC 6887) exchanges with miniupnpd in the lab, for the fuzz seed corpora and
# tests/pcp/capture_test.cpp.
#
#   sudo bash tests/lab/capture_pcp.sh [OUT_DIR]     (default: tests/data/pcp/miniupnpd_<version>)
#
# Writes <name>.request.bin (the exact bytes sent from 192.168.86.250 to 192.168.86.1:5351) and
# <name>.bin (the gateway's answer; absent when it stays silent), plus announce_start.bin, the
# unsolicited ANNOUNCE multicast to 224.0.0.1:5350 when the gateway starts, and prints one summary line
# per exchange for the README. The requests are built here from the RFC 6887 diagrams (§7.1, §11.1,
# §12.1, §13), with fixed readable nonces ("natpunch0001"...) so that the tests can match them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"
lab_require

version=$("$(_lab_miniupnpd_bin)" --version 2>&1 | awk 'NR==1{print $2}')
OUT=${1:-$HERE/../data/pcp/miniupnpd_${version}}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

# Gateway off at first, so the listener hears its very first packet.
LAB_START_GATEWAY=0 lab_up

# The start-up ANNOUNCE (§14.1.1) goes to 224.0.0.1:5350 on the LAN. Listen for at most 10 s.
lab_lan timeout 12 python3 - "$LAB_DIR/ann" "$LAB_LAN_IP" 10 <<'EOF' &
import select, socket, struct, sys, time
prefix, ifaddr, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("224.0.0.1", 5350))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton("224.0.0.1"), socket.inet_aton(ifaddr)))
open(prefix + ".ready", "w").close()
t0 = time.monotonic()
n = 0
while time.monotonic() - t0 < seconds and n < 10:
    r, _, _ = select.select([s], [], [], 0.2)
    if not r:
        continue
    data, peer = s.recvfrom(2048)
    n += 1
    open(f"{prefix}.{n:02d}.bin", "wb").write(data)
    with open(prefix + ".log", "a") as f:
        f.write(f"{time.monotonic() - t0:.3f}s from {peer[0]}:{peer[1]} {len(data)} bytes {data.hex()}\n")
EOF
listener=$!
_lab_wait_file "$LAB_DIR/ann.ready"
lab_gateway_start
capture_started=$(date -u +%F)

# The exchanges. One fresh socket each; a request is sent once per try (3 tries, 1 s apart) and only
# the first answer is kept.
lab_lan timeout 120 python3 - "$OUT" "$LAB_GW_IP" "$LAB_LAN_IP" <<'EOF' | tee "$LAB_DIR/summary.txt"
import socket, struct, sys, time
out, gw, lan = sys.argv[1], sys.argv[2], sys.argv[3]

def v4(a):  # §5: IPv4-mapped IPv6
    return b"\x00" * 10 + b"\xff\xff" + socket.inet_aton(a)

ANY = v4("0.0.0.0")  # §11.1: the address-family-specific all-zeroes address
TCP, UDP = 6, 17

def nonce(i):
    return b"natpunch%04d" % i

def header(op, lifetime, client=None, vers=2):  # §7.1
    return struct.pack("!BBHI", vers, op, 0, lifetime) + (client or v4(lan))

def map_body(n, proto, iport, eport, eaddr=ANY):  # §11.1
    return nonce(n) + struct.pack("!B3xHH", proto, iport, eport) + eaddr

def peer_body(n, proto, iport, eport, rport, raddr):  # §12.1
    return map_body(n, proto, iport, eport) + struct.pack("!HH", rport, 0) + raddr

def option(code, data=b""):  # §7.3, data padded to 4
    return struct.pack("!BBH", code, 0, len(data)) + data + b"\x00" * (-len(data) % 4)

def mapreq(n, proto, iport, eport, lifetime, options=b"", **kw):
    return header(1, lifetime, **kw) + map_body(n, proto, iport, eport) + options

RESULT = ["SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED", "MALFORMED_REQUEST", "UNSUPP_OPCODE",
          "UNSUPP_OPTION", "MALFORMED_OPTION", "NETWORK_FAILURE", "NO_RESOURCES", "UNSUPP_PROTOCOL",
          "USER_EX_QUOTA", "CANNOT_PROVIDE_EXTERNAL", "ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS"]

def describe(r):
    if len(r) < 24:
        return f"{len(r)} bytes {r.hex()}"
    vers, op, res = r[0], r[1], r[3]
    life, epoch = struct.unpack("!II", r[4:12])
    s = (f"{len(r)} bytes ver={vers} op=0x{op:02x} result={res} "
         f"{RESULT[res] if res < len(RESULT) else '?'} lifetime={life} epoch={epoch}")
    if len(r) >= 60 and op & 0x7f in (1, 2):
        proto = r[36]
        iport, eport = struct.unpack("!HH", r[40:44])
        addr = socket.inet_ntoa(r[56:60]) if r[44:56] == b"\x00" * 10 + b"\xff\xff" else r[44:60].hex()
        s += f" nonce={r[24:36]!r} proto={proto} internal={iport} external={eport} addr={addr}"
    if len(r) > 60 and op & 0x7f == 1 or len(r) > 80 and op & 0x7f == 2:
        s += f" options={r[60 if op & 0x7f == 1 else 80:].hex()}"
    return s

def exchange(name, req, wait=1.0, tries=3):
    with open(f"{out}/{name}.request.bin", "wb") as f:
        f.write(req)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((gw, 5351))
    s.settimeout(wait)
    resp = None
    t0 = time.monotonic()
    for _ in range(tries):
        s.send(req)
        try:
            resp = s.recv(1100)
            break
        except socket.timeout:
            continue
    took = time.monotonic() - t0
    s.close()
    if resp is None:
        print(f"{name}: request {len(req)} bytes -> no answer ({tries} tries, {took:.1f}s)", flush=True)
        return None
    with open(f"{out}/{name}.bin", "wb") as f:
        f.write(resp)
    print(f"{name}: request {len(req)} bytes -> {describe(resp)} ({took:.2f}s)", flush=True)
    return resp

exchange("announce", header(0, 0))
exchange("map_tcp", mapreq(1, TCP, 8080, 8080, 7200))
exchange("map_udp", mapreq(2, UDP, 9090, 9090, 7200))
exchange("map_tcp_renew", mapreq(1, TCP, 8080, 8080, 7200))              # same nonce: a renewal
exchange("map_tcp_other_nonce", mapreq(3, TCP, 8080, 8080, 7200))        # same mapping, another nonce
exchange("map_tcp_eport_zero", mapreq(4, TCP, 8083, 0, 3600))
exchange("map_tcp_prefer_failure", mapreq(5, TCP, 8090, 8080, 3600, option(2)))  # 8080 is taken
exchange("map_tcp_taken", mapreq(6, TCP, 8091, 8080, 3600))              # the same without the option
exchange("map_tcp_filter", mapreq(7, TCP, 8092, 8092, 3600,
                                  option(3, struct.pack("!BBH", 0, 128, 0) + v4("11.0.0.1"))))
exchange("map_tcp_third_party", mapreq(8, TCP, 8093, 8093, 3600, option(1, v4("192.168.86.251"))))
exchange("peer_tcp", header(2, 3600) + peer_body(9, TCP, 8094, 8094, 80, v4("11.0.0.1")))
exchange("map_unknown_mandatory", mapreq(10, TCP, 8095, 8095, 3600, option(100, b"\x01\x02\x03\x04")))
exchange("map_unknown_optional", mapreq(11, TCP, 8096, 8096, 3600, option(200, b"\x01\x02\x03\x04\x05")))
exchange("map_unknown_optional_aligned", mapreq(18, TCP, 8102, 8102, 3600, option(200, b"\x01\x02\x03\x04")))
exchange("map_tcp_several_options", mapreq(19, TCP, 8103, 8103, 3600, option(2) +
                                           option(3, struct.pack("!BBH", 0, 120, 443) + v4("11.0.0.0")) +
                                           option(3, struct.pack("!BBH", 0, 128, 0) + v4("11.0.0.1"))))
exchange("map_address_mismatch", mapreq(12, TCP, 8097, 8097, 3600, client=v4("192.168.86.99")))
exchange("map_tcp_lifetime_1", mapreq(13, TCP, 8098, 8098, 1))
exchange("map_tcp_lifetime_1000000", mapreq(14, TCP, 8099, 8099, 1000000))
exchange("version_1", mapreq(15, TCP, 8100, 8100, 3600, vers=1))
exchange("version_3", mapreq(16, TCP, 8101, 8101, 3600, vers=3))
exchange("delete_tcp", mapreq(1, TCP, 8080, 0, 0))                      # §15: lifetime 0, same nonce
exchange("delete_tcp_new_nonce", mapreq(3, TCP, 8080, 0, 0))            # the nonce that took it over
exchange("delete_udp", mapreq(2, UDP, 9090, 0, 0))
exchange("delete_tcp_absent", mapreq(17, TCP, 7777, 0, 0))
EOF

wait "$listener" || true
echo "---- announcements (lan, 224.0.0.1:5350) ----"
cat "$LAB_DIR/ann.log" 2>/dev/null || echo "(none)"
if [[ -f $LAB_DIR/ann.01.bin ]]; then
  cp "$LAB_DIR/ann.01.bin" "$OUT/announce_start.bin"
  echo "saved announce_start.bin"
fi
echo "capture date: $capture_started; miniupnpd $version; files in $OUT"
echo "---- miniupnpd PCP log lines ----"
grep -Ei 'PCP|unsupported|discard' "$LAB_DIR/miniupnpd.log" | grep -Ev 'permission rule' || true

#!/usr/bin/env bash
# Records real NAT-PMP exchanges with miniupnpd in the lab, for the fuzz seed corpus and codec tests.
#
#   sudo bash tests/lab/capture_natpmp.sh [OUT_DIR]     (default: tests/data/natpmp/miniupnpd_<version>)
#
# Writes <name>.request.bin (the exact bytes sent from 192.168.86.250 to 192.168.86.1:5351) and
# <name>.bin (the gateway's answer; absent when it stays silent), plus announce_*.bin for unsolicited
# multicast announcements, and prints one summary line per exchange for the README.
# Slow on purpose in one place: miniupnpd needs ~30 s to refuse a privileged internal port.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"
lab_require

version=$("$(_lab_miniupnpd_bin)" --version 2>&1 | awk 'NR==1{print $2}')
OUT=${1:-$HERE/../data/natpmp/miniupnpd_${version}}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

# Gateway off at first, so the announcement listeners hear its very first packets.
LAB_START_GATEWAY=0 lab_up

# Listen for announcements on 224.0.0.1, ports 5350 (RFC 6886) and 5351 (the 2006 draft, which
# miniupnpd also uses), in lan (where they belong) and in inet (to see whether any leak to the WAN).
listen_multicast() {  # NS TAG IFADDR SECONDS
  ip netns exec "$1" timeout $(($4 + 2)) python3 - "$LAB_DIR/ann_$2" "$3" "$4" <<'EOF' &
import os, select, socket, struct, sys, time
prefix, ifaddr, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
socks = []
for port in (5350, 5351):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("224.0.0.1", port))
    mreq = struct.pack("4s4s", socket.inet_aton("224.0.0.1"), socket.inet_aton(ifaddr))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    socks.append((s, port))
open(prefix + ".ready", "w").close()
t0 = time.monotonic()
n = 0
while time.monotonic() - t0 < seconds and n < 50:
    r, _, _ = select.select([s for s, _ in socks], [], [], 0.2)
    for s in r:
        data, peer = s.recvfrom(2048)
        port = dict(socks)[s]
        n += 1
        with open(f"{prefix}.{n:02d}.port{port}.bin", "wb") as f:
            f.write(data)
        with open(prefix + ".log", "a") as f:
            f.write(f"{time.monotonic() - t0:.3f}s from {peer[0]}:{peer[1]} to 224.0.0.1:{port} "
                    f"{len(data)} bytes {data.hex()}\n")
EOF
}
listen_multicast "$LAB_NS_LAN" lan "$LAB_LAN_IP" 150
listen_multicast "$LAB_NS_INET" inet "$LAB_INET_IP" 150
_lab_wait_file "$LAB_DIR/ann_lan.ready" && _lab_wait_file "$LAB_DIR/ann_inet.ready"
lab_gateway_start
capture_started=$(date -u +%F)

# The exchanges. One fresh socket each; a request is sent once per try (3 tries, 1 s apart, unless
# a name says otherwise) and only the first answer is kept.
lab_lan timeout 300 python3 - "$OUT" "$LAB_GW_IP" <<'EOF' | tee "$LAB_DIR/summary.txt"
import socket, struct, sys, time
out, gw = sys.argv[1], sys.argv[2]

def mapreq(op, iport, eport, life):
    return struct.pack("!BBHHHI", 0, op, 0, iport, eport, life)

RESULT = {0: "SUCCESS", 1: "UNSUPP_VERSION", 2: "NOT_AUTHORIZED", 3: "NETWORK_FAILURE",
          4: "OUT_OF_RESOURCES", 5: "UNSUPP_OPCODE"}

def describe(resp):
    if len(resp) < 4:
        return f"{len(resp)} bytes"
    ver, op = resp[0], resp[1]
    if ver != 0:  # PCP (RFC 6887) framing: result code is byte 3
        return f"{len(resp)} bytes ver={ver} op=0x{op:02x} result={resp[3]} (PCP framing) {resp.hex()}"
    res = struct.unpack("!H", resp[2:4])[0]
    s = f"{len(resp)} bytes op={op} result={res} {RESULT.get(res, '?')}"
    if len(resp) >= 8:
        s += f" epoch={struct.unpack('!I', resp[4:8])[0]}"
    if op == 128 and len(resp) >= 12:
        s += f" addr={socket.inet_ntoa(resp[8:12])}"
    if op in (129, 130) and len(resp) >= 16:
        i, e, l = struct.unpack("!HHI", resp[8:16])
        s += f" internal={i} external={e} lifetime={l}"
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
        print(f"{name}: request {len(req)} bytes {req.hex()} -> no answer ({tries} tries, {took:.1f}s)", flush=True)
        return None
    with open(f"{out}/{name}.bin", "wb") as f:
        f.write(resp)
    print(f"{name}: request {len(req)} bytes {req.hex()} -> {describe(resp)} ({took:.2f}s)", flush=True)
    return resp

exchange("external_address", b"\x00\x00")
exchange("map_tcp", mapreq(2, 8080, 8080, 7200))
exchange("map_tcp_again", mapreq(2, 8080, 8080, 7200))        # renewal of the same mapping
exchange("map_udp", mapreq(1, 9090, 9090, 7200))
exchange("map_tcp_eport_zero", mapreq(2, 8083, 0, 3600))      # no suggestion: eport = iport
exchange("map_tcp_eport_taken", mapreq(2, 8084, 8080, 3600))  # 8080 belongs to iport 8080
exchange("map_tcp_eport_denied", mapreq(2, 9000, 80, 3600))   # eport < 1024 not allowed
exchange("map_tcp_lifetime_1", mapreq(2, 8081, 8081, 1))
exchange("map_tcp_lifetime_1000000", mapreq(2, 8082, 8082, 1000000))
exchange("map_tcp_lifetime_max", mapreq(2, 8085, 8085, 0xFFFFFFFF))
exchange("map_tcp_iport_zero", mapreq(2, 0, 8080, 3600))      # refused at once
exchange("delete_tcp", mapreq(2, 8080, 0, 0))
exchange("delete_udp", mapreq(1, 9090, 0, 0))
exchange("delete_tcp_absent", mapreq(2, 7777, 0, 0))
exchange("delete_all", mapreq(2, 0, 0, 0))                    # iport 0 + lifetime 0: all of ours
exchange("opcode_3", b"\x00\x03")
exchange("opcode_3_long", b"\x00\x03" + bytes(10))
exchange("opcode_127", b"\x00\x7f")
exchange("version_1", b"\x01\x00")
exchange("version_1_map", struct.pack("!BBHHHI", 1, 2, 0, 8080, 8080, 7200))
exchange("version_1_24", b"\x01\x00" + bytes(22))
exchange("version_2_short", b"\x02\x00")
exchange("version_3_24", b"\x03\x00" + bytes(22))
exchange("version_255", b"\xff\x00")
exchange("reserved_nonzero", struct.pack("!BBHHHI", 0, 2, 0xABCD, 8086, 8086, 60))
exchange("map_tcp_trailing", mapreq(2, 8087, 8087, 60) + b"\xde\xad")
exchange("short_map", b"\x00\x02\x00\x00\x1f\x90", tries=1)   # < 12 bytes: dropped
exchange("one_byte", b"\x00", tries=1)
exchange("response_opcode", b"\x00\x80", tries=1)             # a response sent to the gateway: dropped
# Last, because it keeps miniupnpd busy: internal port 80 is denied by every rule, and 2.3.1 tries
# all 65535 external ports before answering. Sent once, with a long wait.
exchange("map_tcp_iport_denied", mapreq(2, 80, 80, 3600), wait=120, tries=1)
EOF

# Ask for the external address once more and save it as NAME (a plain opcode-0 exchange).
probe_address() {
  lab_lan timeout 5 python3 - "$OUT" "$LAB_GW_IP" "$1" <<'EOF' | tee -a "$LAB_DIR/summary.txt"
import socket, struct, sys
out, gw, name = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1); s.connect((gw, 5351))
s.send(b"\x00\x00"); r = s.recv(64)
if name != "-":
    open(f"{out}/{name}.bin", "wb").write(r)
    open(f"{out}/{name}.request.bin", "wb").write(b"\x00\x00")
print(f"{name if name != '-' else 'external_address'}: {len(r)} bytes {r.hex()} "
      f"epoch={struct.unpack('!I', r[4:8])[0]} addr={socket.inet_ntoa(r[8:12])}")
EOF
}

# A new public address while the epoch is high (~70 s): shows the RFC 6886 section 3.2.1
# announcement and whether the epoch restarts with it.
probe_address -
lab_change_wan_ip 11.0.0.6
sleep 2
probe_address external_address_after_change

# A reboot: the epoch must restart, and a startup announcement is expected again.
sleep 2
probe_address -
lab_reboot_gateway
probe_address external_address_after_reboot
sleep 3   # late announcements; the listeners run 150 s at most

echo "---- announcements (lan) ----"
cat "$LAB_DIR/ann_lan.log" 2>/dev/null || echo "(none)"
echo "---- announcements (inet) ----"
cat "$LAB_DIR/ann_inet.log" 2>/dev/null || echo "(none)"
# Keep one file per distinct (content, port): announce_<pcp|natpmp>_<port>[_N].bin
python3 - "$LAB_DIR" "$OUT" <<'EOF'
import glob, os, re, sys
d, out = sys.argv[1:3]
seen = set()
for f in sorted(glob.glob(d + "/ann_lan.*.bin")):
    port = re.search(r"port(\d+)", f).group(1)
    data = open(f, "rb").read()
    if (data, port) in seen:
        continue
    seen.add((data, port))
    kind = "pcp" if data[:1] == b"\x02" else "natpmp"
    name, n = f"announce_{kind}_{port}", 1
    while os.path.exists(f"{out}/{name}.bin"):
        n += 1
        name = f"announce_{kind}_{port}_{n}"
    open(f"{out}/{name}.bin", "wb").write(data)
    print(f"saved {name}.bin: {len(data)} bytes {data.hex()}")
EOF
echo "capture date: $capture_started; miniupnpd $version; files in $OUT"
echo "---- miniupnpd NAT-PMP log lines ----"
grep -E 'NAT-PMP|PCP|unsupported|discard|No allowed' "$LAB_DIR/miniupnpd.log" |
  grep -Ev 'permission rule|is not a IGD pinhole' || true
echo "permission-rule log lines: $(grep -c 'permission rule' "$LAB_DIR/miniupnpd.log" || true)"

#!/usr/bin/env bash
# Benchmark (issue 13): what --protocol auto and the record cost, in one run against the lab's
# miniupnpd, with the reference tools and the gateway's own times alongside.
#
#   sudo bash tests/lab/bench_auto.sh build/tools/natpunch [ROUNDS]     (default 21 rounds)
#
# Part 1, a PCP router (miniupnpd as it comes), each add timed from fork to exit inside the lan namespace:
#   auto, cold     natpunch add PORT/tcp with an empty record (PCP while the IGD search runs beside it)
#   auto, warm     the same with this gateway in the record (PCP alone)
#   pcp            natpunch --protocol pcp add PORT/tcp (empty record)
#   natpmpc        natpmpc -g GW -a PORT PORT tcp 7200 (Debian's NAT-PMP client, for reference)
#   /bin/true      the cost of starting any process from this harness (python's fork, exec, pipes)
#   natpunch's own share = pcp - its rtt_ms (time waiting on the gateway) - /bin/true; also with no
#                  record to write (no HOME): process start, route table, parsing alone
# Part 2, a UPnP-only router (enable_natpmp=no):
#   auto, cold     natpunch add PORT/tcp with an empty record (5351 refused, SSDP + description + map)
#   upnp           natpunch --protocol upnp add PORT/tcp (empty record)
#   auto, warm     natpunch add PORT/tcp with the IGD in the record (no SSDP, no description GET)
#   upnpc -r       Debian's upnpc, for reference
#   gateway        AddPortMapping + GetExternalIPAddress from an in-process client (the floor of a warm add)
# A fresh port per measurement, deleted untimed right after; the order rotates each round. Goals:
# auto within 1.2x of the named protocol on both routers; a warm UPnP add within 1.2x of the gateway's
# own two exchanges; natpunch's own share under 1 ms.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"
[[ $# -ge 1 ]] || { echo "usage: $0 NATPUNCH_BINARY [ROUNDS]" >&2; exit 2; }
NATPUNCH=$(realpath -e "$1")
ROUNDS=${2:-21}
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 3 && $ROUNDS -le 500 ]] || { echo "ROUNDS must be 3..500" >&2; exit 2; }
lab_require upnpc natpmpc
lab_up
echo "# lab up; gateway $LAB_GW_IP ($("$(_lab_miniupnpd_bin)" --version 2>&1 | head -n1)); $ROUNDS rounds"
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (shared by client and gateway: timings follow it)"

bench() { # PART
  lab_lan python3 - "$1" "$NATPUNCH" "$LAB_GW_IP" "$LAB_LAN_IP" "$LAB_ROOTDESC_URL" "$ROUNDS" "$LAB_DIR" "$HERE" <<'PY'
import json, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time

part, natpunch, gw, lan, igd_url, rounds, lab_dir, here = sys.argv[1:6] + [int(sys.argv[6]), sys.argv[7], sys.argv[8]]
ms = lambda t0: (time.perf_counter() - t0) * 1000.0
m = statistics.median

def run(cmd, state=None, timeout=20, check=True):
    env = dict(os.environ)
    if state == "none":  # nowhere to keep a record: natpunch warns and writes nothing
        for k in ("HOME", "XDG_STATE_HOME", "NATPUNCH_STATE_DIR"):
            env.pop(k, None)
    elif state:
        env["NATPUNCH_STATE_DIR"] = state
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    took = ms(t0)
    if check and out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}: exit {out.returncode}: {out.stdout} {out.stderr}")
    return took, out

def fresh_state():
    return tempfile.mkdtemp(dir=lab_dir, prefix="state.")

def summary(name, xs):
    q = statistics.quantiles(xs, n=10, method="inclusive")
    return f"{name:<52} median {m(xs):8.2f} ms   p10 {q[0]:8.2f} ms   p90 {q[-1]:8.2f} ms"

def np_add(port, state, *flags):
    took, out = run([natpunch, *flags, "--json", "add", f"{port}/tcp"], state)
    d = json.loads(out.stdout)
    if d["external_port"] != port:
        sys.exit(f"natpunch mapped another port: {out.stdout}")
    if state == "none":  # untimed; no record to find it by
        run([natpunch, *flags, "delete", f"{port}/tcp", *(["--nonce", d["nonce"]] if "nonce" in d else [])], state)
    else:
        run([natpunch, "delete", f"{port}/tcp"], state)  # untimed, by the record
    return took, d

true_bin = shutil.which("true")
warm = fresh_state()
quiet = lambda: time.sleep(0.1)

if part == "pcp":
    np_add(20000, warm)  # the record now names PCP for this gateway
    cold, warm_t, pcp, natpmpc, true_t, own, own_bare, protos = [], [], [], [], [], [], [], set()
    for i in range(rounds):
        port = 21000 + 8 * i
        for j in range(6):
            quiet()
            job = (i + j) % 6
            if job == 0:
                t, d = np_add(port, fresh_state()); cold.append(t); protos.add(d["protocol"])
            elif job == 1:
                t, d = np_add(port + 1, warm); warm_t.append(t); protos.add(d["protocol"])
            elif job == 2:
                t, d = np_add(port + 2, fresh_state(), "--protocol", "pcp"); pcp.append(t); own.append(t - float(d["rtt_ms"]))
            elif job == 3:
                t, out = run(["natpmpc", "-g", gw, "-a", str(port + 3), str(port + 3), "tcp", "7200"])
                natpmpc.append(t)
                run(["natpmpc", "-g", gw, "-a", str(port + 3), str(port + 3), "tcp", "0"], check=False)
            elif job == 4:
                true_t.append(run([true_bin])[0])
            else:
                t, d = np_add(port + 5, "none", "--protocol", "pcp"); own_bare.append(t - float(d["rtt_ms"]))
    if protos != {"pcp"}:
        sys.exit(f"auto chose {protos} on a PCP router")
    base = m(true_t)
    print(f"\n## a PCP router, {rounds} rounds")
    print(summary("natpunch add (auto, empty record)", cold))
    print(summary("natpunch add (auto, this gateway recorded)", warm_t))
    print(summary("natpunch --protocol pcp add", pcp))
    print(summary("natpmpc -a PORT PORT tcp 7200", natpmpc))
    print(summary("/bin/true (starting any process from here)", true_t))
    print(summary("natpunch --protocol pcp: wall - rtt_ms", own))
    print(f"auto (empty record) / --protocol pcp median: {m(cold) / m(pcp):.2f} (goal: 1.2 or less)")
    print(f"auto (recorded) / --protocol pcp median: {m(warm_t) / m(pcp):.2f}")
    print(summary("natpunch --protocol pcp, no record to write: wall - rtt_ms", own_bare))
    print(f"natpunch's own share (pcp wall - rtt - /bin/true), median: {m(own) - base:.2f} ms; "
          f"without the record's durable write (two fsyncs): {m(own_bare) - base:.2f} ms (goal: under 1 ms)")
    print(f"natpunch --protocol pcp / natpmpc median: {m(pcp) / m(natpmpc):.2f}")
    sys.exit(0)

# --- part upnp: the gateway's own two exchanges, from an in-process client ---------------------------
sys.path.insert(0, here)
from igd_client import Igd
igd = Igd(gw, igd_url)
soap, key = igd.soap, Igd.key
def gateway_floor(port):
    t0 = time.perf_counter()
    soap("AddPortMapping", key(port) + [("NewInternalPort", port), ("NewInternalClient", lan), ("NewEnabled", 1),
                                        ("NewPortMappingDescription", "bench"), ("NewLeaseDuration", 7200)])
    soap("GetExternalIPAddress")
    took = ms(t0)
    soap("DeletePortMapping", key(port))
    return took

np_add(20000, warm)  # the record now names this gateway's IGD
cold, upnp, warm_t, upnpc, floor, protos = [], [], [], [], [], set()
for i in range(rounds):
    port = 22000 + 8 * i
    for j in range(5):
        time.sleep(0.2)  # trailing SSDP answers
        job = (i + j) % 5
        if job == 0:
            t, d = np_add(port, fresh_state()); cold.append(t); protos.add(d["protocol"])
        elif job == 1:
            t, d = np_add(port + 1, fresh_state(), "--protocol", "upnp"); upnp.append(t)
        elif job == 2:
            t, d = np_add(port + 2, warm); warm_t.append(t); protos.add(d["protocol"])
        elif job == 3:
            t, out = run(["upnpc", "-r", str(port + 3), "TCP"])
            upnpc.append(t)
            soap("DeletePortMapping", key(port + 3))
        else:
            floor.append(gateway_floor(port + 4))
if protos != {"upnp"}:
    sys.exit(f"auto chose {protos} on a UPnP-only router")
print(f"\n## a UPnP-only router, {rounds} rounds")
print(summary("natpunch add (auto, empty record)", cold))
print(summary("natpunch --protocol upnp add", upnp))
print(summary("natpunch add (auto, the IGD recorded)", warm_t))
print(summary("upnpc -r PORT TCP", upnpc))
print(summary("gateway: AddPortMapping + GetExternalIPAddress", floor))
print(f"auto (empty record) / --protocol upnp median: {m(cold) / m(upnp):.2f} (goal: 1.2 or less)")
print(f"auto (IGD recorded) / gateway's own two exchanges median: {m(warm_t) / m(floor):.2f} (goal: 1.2 or less)")
print(f"upnpc -r / natpunch auto (empty record) median: {m(upnpc) / m(cold):.1f}x; "
      f"/ natpunch auto (recorded): {m(upnpc) / m(warm_t):.1f}x")
PY
}

bench pcp
LAB_NATPMP=no
lab_gateway_reconfigure
bench upnp

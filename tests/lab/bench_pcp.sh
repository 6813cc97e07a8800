#!/usr/bin/env bash
# Benchmark (issue 3): time from process start to a confirmed mapping, natpunch over PCP versus
# Debian's natpmpc over NAT-PMP, side by side in one run against the lab's miniupnpd.
#
#   sudo bash tests/lab/bench_pcp.sh build/tools/natpunch [ROUNDS]     (default 31 rounds)
#
# Each round maps a fresh TCP port with each tool (alternating which goes first), timed from fork to
# exit inside the lan namespace, then deletes both mappings untimed, so the gateway's rule table (whose
# size slows miniupnpd) is the same for every measurement. Prints median, p10 and p90 for each and the
# ratio. The goal: natpunch's median at most half of natpmpc's; the rest is the gateway's own work.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
source "$HERE/lab.sh"
[[ $# -ge 1 ]] || { echo "usage: $0 NATPUNCH_BINARY [ROUNDS]" >&2; exit 2; }
NATPUNCH=$(realpath -e "$1")
ROUNDS=${2:-31}
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 3 && $ROUNDS -le 500 ]] || { echo "ROUNDS must be 3..500" >&2; exit 2; }
lab_require
lab_up
echo "# lab up; gateway $LAB_GW_IP (miniupnpd $(_lab_miniupnpd_bin) ), $ROUNDS rounds"

lab_lan python3 - "$NATPUNCH" "$LAB_GW_IP" "$ROUNDS" <<'PY'
import json, statistics, subprocess, sys, time

natpunch, gw, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])

def timed(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    took = (time.perf_counter() - start) * 1000.0
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}: exit {out.returncode}: {out.stdout} {out.stderr}")
    return took, out.stdout

rtts = []

def run_natpunch(port):
    took, out = timed([natpunch, "--protocol", "pcp", "--gateway", gw, "--json", "add", f"{port}/tcp", "--lifetime", "600"])
    answer = json.loads(out)
    nonce = answer["nonce"]
    rtts.append(answer["rtt_ms"])
    subprocess.run([natpunch, "--protocol", "pcp", "--gateway", gw, "delete", f"{port}/tcp", "--nonce", nonce],
                   capture_output=True, timeout=20, check=True)
    return took

def run_natpmpc(port):
    took, out = timed(["natpmpc", "-g", gw, "-a", str(port), str(port), "tcp", "600"])
    if "Mapped public port" not in out:
        sys.exit(f"natpmpc did not confirm the mapping: {out}")
    subprocess.run(["natpmpc", "-g", gw, "-a", str(port), str(port), "tcp", "0"], capture_output=True, timeout=20,
                   check=True)
    return took

# One untimed warm-up of each (page cache, first ARP/neighbour resolution).
run_natpunch(20000)
run_natpmpc(20001)
rtts.clear()
a, b = [], []
for i in range(rounds):
    port = 21000 + 2 * i
    if i % 2 == 0:
        a.append(run_natpunch(port)); b.append(run_natpmpc(port + 1))
    else:
        b.append(run_natpmpc(port + 1)); a.append(run_natpunch(port))

def summary(name, xs):
    q = statistics.quantiles(xs, n=10)
    return f"{name:<28} median {statistics.median(xs):7.2f} ms   p10 {q[0]:7.2f} ms   p90 {q[-1]:7.2f} ms"

own = [t - r for t, r in zip(a, rtts)]
print(summary("natpunch --protocol pcp add", a))
print(summary("  of which the gateway", rtts))
print(summary("  of which natpunch itself", own))
print(summary("natpmpc -a (NAT-PMP)", b))
ratio = statistics.median(a) / statistics.median(b)
print(f"natpunch / natpmpc median: {ratio:.2f} (goal: 0.50 or less, where the gateway's own time allows)")
PY

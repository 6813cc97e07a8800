#!/usr/bin/env bash
# A fuzzing campaign: every fuzzer (or the ones named) for MINUTES each, one after the other, then a
# table of executions per second, coverage (libFuzzer's cov/ft counters) and crashes. A crash, leak,
# timeout or out-of-memory input is copied into fuzz/regressions/<fuzzer>/, where ctest replays it from
# then on (fuzz.replay.<fuzzer>); fix the parser, commit both.
#
#   bash fuzz/campaign.sh [MINUTES] [FUZZER ...]      (default 10 minutes, every fuzzer)
#   bash fuzz/coverage.sh build-fuzz/campaign           line coverage with the corpora it grew
#
# The grown corpora stay in build-fuzz/campaign/<fuzzer>/ (seeds are never rewritten); logs in
# build-fuzz/campaign/logs/. Each input gets at most 10 s and 2 GiB. Exit 1 when anything crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
[[ $MINUTES =~ ^[0-9]+$ && $MINUTES -ge 1 && $MINUTES -le 1440 ]] || { echo "usage: $0 [MINUTES 1..1440] [FUZZER ...]" >&2; exit 2; }
shift || true
fuzzers=("$@")
if [[ ${#fuzzers[@]} -eq 0 ]]; then
  for src in fuzz/*_fuzzer.cpp; do fuzzers+=("$(basename "$src" .cpp)"); done
fi
for f in "${fuzzers[@]}"; do
  [[ -f fuzz/$f.cpp ]] || { echo "campaign: no fuzzer '$f' (fuzz/*_fuzzer.cpp)" >&2; exit 2; }
done

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${fuzzers[@]}" >/dev/null
root=build-fuzz/campaign
mkdir -p "$root/logs"
echo "campaign: ${#fuzzers[@]} fuzzer(s), $MINUTES min each, started $(date -u +%FT%TZ)"

rows=()
crashed=0
for f in "${fuzzers[@]}"; do
  work=$root/$f
  artifacts=$root/artifacts/$f
  log=$root/logs/$f.log
  mkdir -p "$work" "$artifacts"
  dict=()
  [[ -f fuzz/$f.dict ]] && dict=(-dict="fuzz/$f.dict")
  echo "campaign: $f ..."
  rc=0
  "build-fuzz/fuzz/$f" -max_total_time=$((MINUTES * 60)) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict[@]}" "$work" "fuzz/corpus/$f" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n1 || echo "cov: ? ft: ?")
  corpus=$(find "$work" -type f | wc -l)
  found=0
  for a in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [[ -e $a ]] || continue
    found=$((found + 1))
    mkdir -p "fuzz/regressions/$f"
    cp "$a" "fuzz/regressions/$f/$(basename "$a")"
    echo "campaign: $f: $(basename "$a") -> fuzz/regressions/$f/ (see $log)"
  done
  [[ $rc -ne 0 && $found -eq 0 ]] && echo "campaign: $f exited $rc without an artifact (see $log)"
  [[ $found -gt 0 || $rc -ne 0 ]] && crashed=1
  rows+=("$(printf '%-28s %12s %14s %-22s %8s %8s' "$f" "$execs" "$runs" "$cov" "$corpus" "$found")")
done

echo
printf '%-28s %12s %14s %-22s %8s %8s\n' fuzzer "exec/s" executions "coverage" corpus crashes
printf '%s\n' "${rows[@]}"
echo "campaign: ended $(date -u +%FT%TZ); line coverage with the grown corpora: bash fuzz/coverage.sh $root"
exit "$crashed"

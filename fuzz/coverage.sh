#!/usr/bin/env bash
# Line coverage of the codecs from the fuzz corpora (issue 5: at least 90 % of the lines of every codec).
# Builds every fuzzer's replay binary with clang's source-based coverage (build-cov/), replays each
# fuzzer's corpus and regressions once, merges the profiles and prints llvm-cov's report for the codec
# sources only (the sans-I/O parsers and encoders; clients and sockets are the tests' business).
#
#   bash fuzz/coverage.sh                  report; exit 1 if a codec is under the floor
#   COVERAGE_FLOOR=85 bash fuzz/coverage.sh
#   COVERAGE_HTML=DIR bash fuzz/coverage.sh   also writes an HTML report (line by line) to DIR
#
# A long campaign (fuzz/campaign.sh) grows the corpora in its own work folders; to measure those too,
# pass them: bash fuzz/coverage.sh build-fuzz/campaign/work
set -euo pipefail
cd "$(dirname "$0")/.."
FLOOR=${COVERAGE_FLOOR:-90}
EXTRA_ROOT=${1:-}
BUILD=build-cov
CLANG=${CLANG:-clang++-14}
PROFDATA=${PROFDATA:-llvm-profdata-14}
COV=${COV:-llvm-cov-14}
for tool in "$CLANG" "$PROFDATA" "$COV"; do
  command -v "$tool" >/dev/null || { echo "coverage: $tool is missing (bash .ci/install-deps installs llvm-14 and clang-14)" >&2; exit 2; }
done

# The codecs, by file: what "every codec" means here.
codecs=(
  natpmp/src/codec.cpp
  pcp/src/codec.cpp pcp/src/options.cpp
  ssdp/src/message.cpp
  soap/src/http.cpp soap/src/url.cpp soap/src/description.cpp soap/src/envelope.cpp soap/src/igd.cpp soap/src/xml.cpp
  core/src/route.cpp
  tools/natpunch/args.cpp
  portmap/src/store_codec.cpp
)

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="$CLANG" -DNATPUNCH_FUZZ=OFF \
  -DCMAKE_CXX_FLAGS="-fprofile-instr-generate -fcoverage-mapping" >/dev/null
fuzzers=()
for src in fuzz/*_fuzzer.cpp; do fuzzers+=("$(basename "$src" .cpp)"); done
cmake --build "$BUILD" --target "${fuzzers[@]}" >/dev/null

rm -rf "$BUILD/profiles" && mkdir -p "$BUILD/profiles"
objects=()
for f in "${fuzzers[@]}"; do
  dirs=("fuzz/corpus/$f" "fuzz/regressions/$f")
  [[ -n $EXTRA_ROOT && -d $EXTRA_ROOT/$f ]] && dirs+=("$EXTRA_ROOT/$f")
  LLVM_PROFILE_FILE="$BUILD/profiles/$f.profraw" "$BUILD/fuzz/$f" "${dirs[@]}" >/dev/null
  objects+=(-object "$BUILD/fuzz/$f")
done
"$PROFDATA" merge -sparse "$BUILD"/profiles/*.profraw -o "$BUILD/profiles/all.profdata"

# objects[0] is "-object": llvm-cov takes the first binary bare.
report=$("$COV" report "${objects[@]:1}" -instr-profile="$BUILD/profiles/all.profdata" "${codecs[@]}")
echo "$report"
if [[ -n ${COVERAGE_HTML:-} ]]; then
  "$COV" show "${objects[@]:1}" -instr-profile="$BUILD/profiles/all.profdata" -format=html \
    -output-dir="$COVERAGE_HTML" "${codecs[@]}"
  echo "coverage: HTML report in $COVERAGE_HTML/index.html"
fi

# Columns: Filename Regions Missed Cover Functions Missed Executed Lines Missed Cover Branches Missed Cover
under=$(awk -v floor="$FLOOR" '$1 ~ /\.cpp$/ { cover = $10; sub(/%/, "", cover); if (cover + 0 < floor) print $1 " " $10 }' <<<"$report")
if [[ -n $under ]]; then
  echo "coverage: under the ${FLOOR} % line floor:"
  sed 's/^/  /' <<<"$under"
  exit 1
fi
echo "coverage: every codec at ${FLOOR} % of its lines or more"

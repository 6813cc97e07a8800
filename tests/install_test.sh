#!/usr/bin/env bash
# natpunch is installable and usable from another project (issue 13): `cmake --install` into a fresh
# prefix puts there the CLI, the headers, the static libraries, the CMake package and natpunch.pc (and
# not gwsim); examples/, copied outside the source tree, configures with find_package(natpunch) and
# builds; a one-file program builds with pkg-config alone. Nothing here sends a packet: hold_port runs
# only in modes that exit before it asks any gateway.
#   bash tests/install_test.sh build .
# CXX and CXXFLAGS (ctest sets them to the build's) build the consumers the way the libraries were
# built: an ASan build's libraries link only into ASan programs.
set -euo pipefail
BUILD=$(realpath "$1")
SOURCE=$(realpath "$2")
CXX=${CXX:-c++}
CXXFLAGS=${CXXFLAGS:-}
work=$(realpath "$(mktemp -d)")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
failures=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
check() { if "${@:2}"; then ok "$1"; else not_ok "$1"; fi; }

if cmake --install "$BUILD" --prefix "$prefix" >"$work/install.log" 2>&1; then
  ok "cmake --install into a fresh prefix"
else
  sed 's/^/#   /' "$work/install.log" | tail -n 20
  not_ok "cmake --install failed"
  exit 1
fi
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$BUILD/CMakeCache.txt")  # GNUInstallDirs: lib here
libdir=${libdir:-lib}
check "bin/natpunch installed" test -x "$prefix/bin/natpunch"
for header in core/result.hpp natpmp/client.hpp pcp/client.hpp ssdp/discovery.hpp soap/igd.hpp portmap/mapper.hpp; do
  check "include/natpunch/$header installed" test -f "$prefix/include/natpunch/$header"
done
for lib in core natpmp pcp ssdp soap portmap; do
  check "$libdir/libnatpunch_$lib.a installed" test -f "$prefix/$libdir/libnatpunch_$lib.a"
done
check "the CMake package installed" test -f "$prefix/$libdir/cmake/natpunch/natpunch-config.cmake" \
  -a -f "$prefix/$libdir/cmake/natpunch/natpunch-config-version.cmake"
check "$libdir/pkgconfig/natpunch.pc installed" test -f "$prefix/$libdir/pkgconfig/natpunch.pc"
extra=$(find "$prefix" -name '*gwsim*' -o -name '*natpunch_cli*' -o -path '*/src/*')
check "no test tool, CLI library or private source installed${extra:+: $extra}" test -z "$extra"

# examples/ as another project sees it: outside the source tree, natpunch found only in the prefix.
cp -r "$SOURCE/examples" "$work/examples"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if CXX=$CXX CXXFLAGS=$CXXFLAGS cmake -S "$work/examples" -B "$work/examples-build" "${generator[@]}" \
    -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" 2>&1 &&
   cmake --build "$work/examples-build" >"$work/build.log" 2>&1; then
  ok "examples/ configures with find_package(natpunch) and builds"
else
  cat "$work/configure.log" "$work/build.log" 2>/dev/null | sed 's/^/#   /' | tail -n 30
  not_ok "examples/ does not build against the installed prefix"
fi
found=$(sed -n 's/^natpunch_DIR:PATH=//p' "$work/examples-build/CMakeCache.txt" 2>/dev/null || true)
check "find_package used the installed package ($found)" test "$found" = "$prefix/$libdir/cmake/natpunch"

hold_port=$work/examples-build/hold_port
if [[ -x $hold_port ]]; then
  rc=0
  "$hold_port" --help >"$work/out" 2>&1 || rc=$?
  check "hold_port --help exits 0 (exit $rc)" test $rc -eq 0
  check "and prints its usage" grep -q "usage: hold_port PORT/tcp|udp" "$work/out"
  # Each exits 2 before it sends anything: bad port, bad transport, stray argument, bad --gateway.
  for args in "" "8333" "0/tcp" "8333/sctp" "70000/udp" "8333/tcp extra" "8333/tcp --gateway not-an-address"; do
    rc=0
    # shellcheck disable=SC2086  # the words are the arguments
    "$hold_port" $args >"$work/out" 2>&1 || rc=$?
    check "hold_port ${args:-(no arguments)}: usage error, exit 2 (exit $rc)" test $rc -eq 2
  done
else
  not_ok "no hold_port to run"
fi

# pkg-config alone (no CMake): natpunch.pc from the prefix, whatever else is installed on this machine.
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
if ! command -v pkg-config >/dev/null; then
  not_ok "pkg-config is missing (bash .ci/install-deps installs pkgconf)"
elif ! flags=$(pkg-config --cflags --libs natpunch 2>"$work/pc.err"); then
  sed 's/^/#   /' "$work/pc.err"
  not_ok "pkg-config does not read natpunch.pc"
else
  includedir=$(pkg-config --variable=includedir natpunch)
  check "natpunch.pc points into the prefix ($includedir)" test "$(realpath "$includedir")" = "$prefix/include"
  check "pkg-config --static adds pugixml and -pthread" \
    grep -q -- "-pthread.*-lpugixml\|-lpugixml.*-pthread" <<<"$(pkg-config --static --libs natpunch)"
  cat >"$work/protocol.cpp" <<'EOF'
#include <iostream>
#include <natpunch/portmap/mapping.hpp>
int main() { std::cout << natpunch::portmap::to_string(natpunch::portmap::protocol::pcp) << "\n"; }
EOF
  # shellcheck disable=SC2086  # flags are words
  if $CXX -std=c++20 $CXXFLAGS "$work/protocol.cpp" $flags -o "$work/protocol" 2>"$work/cc.log"; then
    ok "a program builds with \`pkg-config --cflags --libs natpunch\`"
    check "and runs: it prints pcp" test "$("$work/protocol")" = pcp
  else
    sed 's/^/#   /' "$work/cc.log" | tail -n 20
    not_ok "a program does not build with pkg-config's flags ($flags)"
  fi
fi
exit $((failures > 0))

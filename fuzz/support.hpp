// Shared by every fuzzer: invariant checks that stop the fuzzer (and fail a replay) when broken, and
// an entry point that turns any escaping exception into a crash (parsers report errors as values).
#pragma once

#include <cstddef>
#include <cstdint>

#include "natpunch/core/bytes.hpp"

namespace natpunch::fuzz {

inline void require(bool invariant) {
  if (!invariant) __builtin_trap();
}

// Runs `check(bytes)`; nothing in a parser may throw on any input.
template <typename Check>
int guarded(Check check, const std::uint8_t* data, std::size_t size) {
  try {
    check(core::byte_span(data, size));
  } catch (...) {
    __builtin_trap();
  }
  return 0;
}

}  // namespace natpunch::fuzz

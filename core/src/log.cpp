#include "natpunch/core/log.hpp"

#include <atomic>
#include <cstdio>

namespace natpunch::core::log {
namespace {
std::atomic<level> g_level{level::error};
constexpr const char* tag(level l) noexcept {
  switch (l) {
    case level::error: return "error";
    case level::warn: return "warning";
    case level::info: return "info";
    case level::debug: return "debug";
  }
  return "?";
}
}  // namespace

void set_level(level l) noexcept { g_level.store(l, std::memory_order_relaxed); }
level current_level() noexcept { return g_level.load(std::memory_order_relaxed); }

void write(level l, std::string_view message) {
  // One fprintf per line so lines from two threads never interleave mid-line.
  std::fprintf(stderr, "natpunch: %s: %.*s\n", tag(l), static_cast<int>(message.size()), message.data());
}

std::string hex(byte_span data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 3);
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i != 0) out.push_back(' ');
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}

}  // namespace natpunch::core::log

#include "natpunch/core/log.hpp"

#include <algorithm>
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
  // Every line made printable (gateway text goes through here); our own multi-line messages keep
  // their line breaks, indented so that no text can pass for a line of its own.
  std::string safe;
  for (std::size_t start = 0; start <= message.size();) {
    const auto end = std::min(message.find('\n', start), message.size());
    if (start != 0) safe += "\n    ";
    safe += printable(message.substr(start, end - start));
    start = end + 1;
  }
  // One fprintf per message so lines from two threads never interleave mid-line.
  std::fprintf(stderr, "natpunch: %s: %.*s\n", tag(l), static_cast<int>(safe.size()), safe.data());
}

std::string printable(std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  const auto escape = [&](unsigned char c) {
    out += "\\x";
    out += digits[c >> 4];
    out += digits[c & 0xf];
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) {
        escape(c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: its length from the lead byte, continuation bytes 10xxxxxx, no overlong
    // 2-byte form, and no C1 control (U+0080..U+009F, encoded C2 80..C2 9F).
    const std::size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    bool valid = len != 0 && i + len <= text.size();
    for (std::size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (valid && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) valid = false;
    if (!valid) {
      escape(c);
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
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

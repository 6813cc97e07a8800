// Minimal levelled logging to stderr: quiet by default (errors only), -v for info, -vv for debug.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

#include "natpunch/core/bytes.hpp"

namespace natpunch::core::log {

enum class level { error = 0, warn = 1, info = 2, debug = 3 };

void set_level(level l) noexcept;
level current_level() noexcept;
[[nodiscard]] inline bool enabled(level l) noexcept { return l <= current_level(); }
void write(level l, std::string_view message);

// Hex dump for -vv packet traces: "00 80 00 00 ...".
std::string hex(byte_span data);

// Text from a gateway or the LAN, made safe for a terminal: C0 controls, DEL, C1 controls (raw or
// UTF-8 encoded) and bytes that are not UTF-8 become \xNN, so no answer can move the cursor, rewrite a
// line or send an escape sequence. Valid printable UTF-8 stays as it is. write() applies it to every
// log line.
std::string printable(std::string_view text);

template <typename... Args>
void emit(level l, const Args&... args) {
  if (!enabled(l)) return;
  std::ostringstream out;
  (out << ... << args);
  write(l, out.str());
}
template <typename... Args>
void error(const Args&... a) { emit(level::error, a...); }
template <typename... Args>
void warn(const Args&... a) { emit(level::warn, a...); }
template <typename... Args>
void info(const Args&... a) { emit(level::info, a...); }
template <typename... Args>
void debug(const Args&... a) { emit(level::debug, a...); }

}  // namespace natpunch::core::log

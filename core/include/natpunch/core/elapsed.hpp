// Time between two steady-clock points, as the epoch rules of NAT-PMP (RFC 6886 §3.6) and PCP
// (RFC 6887 §8.5) need it: whole milliseconds, never negative, and safe for any two time points.
#pragma once

#include <chrono>
#include <cstdint>

namespace natpunch::core {

// Milliseconds from `then` to `now`. Each point is converted to milliseconds since the clock's epoch
// first, then subtracted: subtracting two extreme time points directly could overflow the nanosecond
// representation. A `now` earlier than `then` (a caller mixing clocks) counts as no time elapsed.
// The result is below 2^45 (2 × 2^63 ns / 10^6), which callers rely on for exact integer math.
inline std::int64_t elapsed_ms(std::chrono::steady_clock::time_point then,
                               std::chrono::steady_clock::time_point now) noexcept {
  using std::chrono::milliseconds;
  const std::int64_t now_ms = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::int64_t then_ms = std::chrono::duration_cast<milliseconds>(then.time_since_epoch()).count();
  return now_ms > then_ms ? now_ms - then_ms : 0;
}

// What is left of a `budget` that started at `start`: one deadline for work done in several steps
// (a request, then its fallback or its cleanup). Never negative.
inline std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point start,
                                           std::chrono::milliseconds budget,
                                           std::chrono::steady_clock::time_point now) noexcept {
  const std::int64_t used = elapsed_ms(start, now);
  return used < budget.count() ? budget - std::chrono::milliseconds(used) : std::chrono::milliseconds(0);
}

}  // namespace natpunch::core

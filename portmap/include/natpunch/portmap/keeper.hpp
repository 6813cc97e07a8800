// Holding a mapping for weeks: renew at half the granted lifetime (RFC 6886 §3.3, RFC 6887 §11.2.1),
// re-create it at once when the gateway shows it lost its state (epoch rules, from an answer or an
// announcement), report a changed external address or port, and remove it when stopped. Reported
// through a callback as typed events; nothing is printed.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/awaitable.hpp>

#include "natpunch/portmap/mapper.hpp"
#include "natpunch/portmap/mapping.hpp"

namespace natpunch::portmap {

enum class event_kind {
  mapped,                 // the first grant
  renewed,                // renewed, nothing changed
  gateway_lost_state,     // the gateway lost its mappings (reboot): re-created
  external_ip_changed,    // the public address changed
  external_port_changed,  // the public port changed
  renew_failed,           // a renewal failed: `error`, retried after `retry_in`
  expiring,               // a refused delete: the lifetime was cut so the mapping lapses soon
  removed,                // removed on stop
  remove_failed,          // removing on stop failed: `error`
};
std::string_view to_string(event_kind k) noexcept;

struct event {
  event_kind kind = event_kind::mapped;
  mapping current;           // the mapping as last granted
  std::error_code error;     // renew_failed, remove_failed
  std::string gateway_text;  // the gateway's own words about `error`, when its protocol carries any
  std::chrono::seconds retry_in{0};  // renew_failed
};
using event_handler = std::function<void(const event&)>;

struct keep_options {
  std::uint32_t lifetime = 7200;                          // asked at every renewal
  std::chrono::milliseconds request_deadline{std::chrono::seconds(10)};  // each renewal or the final delete
};

// When to renew, as a pure function of what happened: the keeper's timing, testable with a manual
// clock. All times are steady_clock points given by the caller.
class renewal_schedule {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::seconds first_retry{2};     // after a failed renewal: 2 s, 4 s ...
  static constexpr std::chrono::seconds max_retry{60};      // ... at most a minute apart
  static constexpr std::chrono::seconds min_spacing{1};     // hints cause at most one renewal a second
  static constexpr std::chrono::seconds permanent_refresh{600};  // lifetime 0: re-add every 10 min

  // A grant of `lifetime` seconds at `now`: renew at half of it (at least 1 s later).
  void granted(time_point now, std::uint32_t lifetime);
  // A failed renewal at `now`: retry later, backing off; returns the wait.
  std::chrono::seconds failed(time_point now);
  // The gateway hinted (an announcement) that a renewal is due by `by`.
  void hint(time_point by);
  // When the next renewal is due: no earlier than min_spacing after the last one started.
  [[nodiscard]] time_point next() const;
  // A renewal starts at `now`.
  void started(time_point now);

 private:
  time_point next_{};
  std::optional<time_point> hint_;
  std::optional<time_point> last_start_;
  std::chrono::seconds retry_ = first_retry;
};

// Holds `current` (made by `m`) until the awaiting coroutine is cancelled (terminal cancellation, e.g.
// a signal), then removes it. `on_event` sees every renewal, change and failure, and the removal.
// Returns no error when the mapping was removed at the end, else the delete's error.
asio::awaitable<std::error_code> async_keep(mapper& m, mapping current, keep_options options,
                                            event_handler on_event);

}  // namespace natpunch::portmap

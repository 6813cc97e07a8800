#include "keep.hpp"

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <random>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/multicast.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/natpmp/codec.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace natpunch::cli {
namespace {

namespace log = core::log;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// After a failed renewal, try again after 2 s, 4 s ... at most a minute apart, until stopped.
constexpr auto first_retry = 2s;
constexpr auto max_retry = 60s;
// A flood of announcements (real or forged) causes at most one renewal per second.
constexpr auto min_renew_spacing = 1s;
// Asked for when a delete is refused: a gateway grants at least its own minimum (miniupnpd PCP: 120 s).
constexpr std::uint32_t shortest_lifetime = 1;

// Shared between the renewal loop and the announcement listener.
struct keeper_state {
  explicit keeper_state(asio::any_io_executor ex) : wake(ex), announcements(ex) {}
  asio::steady_timer wake;               // the loop sleeps on it; the listener cancels it to wake the loop
  asio::ip::udp::socket announcements;   // 224.0.0.1:5350
  std::optional<std::chrono::steady_clock::time_point> renew_at;  // set by the listener: renew by then
  bool stopping = false;
};

// RFC 6887 §14.1.3: after an ANNOUNCE every client waits a random 0-5 s before renewing, so that a
// rebooted gateway is not hit by all its clients at once.
std::chrono::milliseconds announce_spread() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 5000)(rng));
}

void wake_loop(keeper_state& state, std::chrono::steady_clock::time_point when) {
  state.renew_at = state.renew_at ? std::min(*state.renew_at, when) : when;
  state.wake.cancel();
}

void print_event(bool json, std::string_view event, const mapping_view& v, std::string_view text) {
  if (json) {
    std::cout << mapping_json(v, event).str() << std::endl;
  } else {
    std::cout << event << ": " << text << std::endl;
  }
}

// Listens on the announcement port (224.0.0.1 / ff02::1, 5350) and wakes the loop when the gateway says
// something that calls for a renewal. Stops when the socket is closed. Failing to listen is not fatal:
// renewals still happen on schedule.
asio::awaitable<void> listen_announcements(std::shared_ptr<keeper_state> state, mapper& m, bool v4) {
  if (state->stopping) co_return;  // co_spawn posts this start: the keeper may already be gone
  std::error_code ec;
  auto& socket = state->announcements;
  socket.open(v4 ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
  if (!ec) socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    socket.bind({v4 ? asio::ip::address(asio::ip::address_v4::any()) : asio::ip::address(asio::ip::address_v6::any()),
                 natpmp::announce_port},
                ec);
  }
  if (ec) {
    log::info("not listening for gateway announcements on port ", natpmp::announce_port, ": ", ec.message());
    co_return;
  }
  // All-hosts is joined by every interface already; joining again may fail harmlessly.
  socket.set_option(asio::ip::multicast::join_group(asio::ip::make_address(v4 ? "224.0.0.1" : "ff02::1")), ec);
  std::array<std::uint8_t, natpmp::max_message_size + 1> buffer{};
  for (;;) {
    asio::ip::udp::endpoint from;
    auto [rec, n] = co_await socket.async_receive_from(asio::buffer(buffer), from, use_tuple);
    if (rec || state->stopping) co_return;
    const auto now = std::chrono::steady_clock::now();
    switch (m.observe(core::byte_span(buffer.data(), n), from)) {
      case unsolicited::not_from_gateway:
        log::debug("ignored a datagram on port ", natpmp::announce_port, " from ", from.address().to_string());
        break;
      case unsolicited::nothing_new: break;
      case unsolicited::renew_now:
        log::info("the gateway announced a reboot or a new address: renewing now");
        wake_loop(*state, now);
        break;
      case unsolicited::revalidate:
        log::info("unsolicited ", n, "-byte datagram from the gateway (e.g. a PCP ANNOUNCE): revalidating");
        wake_loop(*state, now + announce_spread());
        break;
    }
  }
}

// After a refused delete: renew with the shortest lifetime so the mapping lapses by itself soon.
asio::awaitable<void> cut_lifetime(mapper& m, bool json, std::uint16_t external_port) {
  auto cut = co_await m.async_map(external_port, shortest_lifetime);
  if (!cut) co_return;
  print_event(json, "expiring", *cut,
              "the gateway refused the delete but cut the lifetime to " + std::to_string(cut->lifetime) +
                  " s: it lapses by itself then");
}

std::chrono::seconds renewal_delay(std::uint32_t lifetime) {
  // Lifetime 0 is a permanent UPnP mapping (a gateway answering 725 OnlyPermanentLeasesSupported): it
  // needs no renewal, but adding it again every ten minutes puts it back after a reboot lost it.
  if (lifetime == 0) return 600s;
  return std::max<std::chrono::seconds>(std::chrono::seconds(lifetime / 2), 1s);
}

}  // namespace

asio::awaitable<int> keep_mapping(mapper& m, const invocation& inv, mapping_view current) {
  co_await asio::this_coro::throw_if_cancelled(false);  // a stop is a value to act on, never an exception
  const bool json = inv.options.json;
  const auto& ports = inv.cmd.ports;
  const std::string spec = std::to_string(ports.internal_port) + "/" + std::string(core::to_string(ports.protocol));
  auto executor = co_await asio::this_coro::executor;
  auto state = std::make_shared<keeper_state>(executor);
  // Whatever way this coroutine ends, the listener's socket closes, so the detached listener ends too
  // and io_context::run can return.
  struct listener_closer {
    keeper_state& state;
    ~listener_closer() {
      state.stopping = true;
      std::error_code ignored;
      state.announcements.close(ignored);
    }
  } closer{*state};
  if (m.hears_announcements()) asio::co_spawn(executor, listen_announcements(state, m, m.gateway().is_v4()), asio::detached);

  const auto stop_requested = []() -> asio::awaitable<bool> {
    co_return (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
  };
  auto next = std::chrono::steady_clock::now() + renewal_delay(current.lifetime);
  auto retry = std::chrono::seconds(first_retry);
  auto last_renewal = std::chrono::steady_clock::now();
  while (!co_await stop_requested()) {
    // A wake-up that came while a request was in flight is folded in here, before the next sleep.
    if (state->renew_at) {
      next = std::min(next, std::max(*state->renew_at, last_renewal + min_renew_spacing));
      state->renew_at.reset();
    }
    if (std::chrono::steady_clock::now() < next) {
      state->wake.expires_at(next);
      co_await state->wake.async_wait(use_tuple);
      continue;
    }

    last_renewal = std::chrono::steady_clock::now();
    m.set_deadline(inv.options.timeout);
    auto renewed = co_await m.async_map(current.external_port, inv.cmd.lifetime);
    if (co_await stop_requested()) break;
    if (!renewed) {
      print_error(json, "renewing " + spec + " (retrying in " + std::to_string(retry.count()) + " s)", renewed.error());
      next = std::chrono::steady_clock::now() + retry;
      retry = std::min<std::chrono::seconds>(retry * 2, max_retry);
      continue;
    }
    retry = first_retry;
    // Any observation since the last report counts: an answer, a refusal, or an announcement.
    const bool lost = m.take_lost_state();
    const bool address_changed = renewed->external_ip != current.external_ip;
    const bool port_changed = renewed->external_port != current.external_port;
    current = *renewed;
    const std::string where = endpoint_text(current.external_ip, current.external_port);
    if (lost) {
      print_event(json, "gateway_lost_state", current,
                  "the gateway lost its mappings (reboot: epoch restarted); mapping re-created as " + where);
    }
    if (address_changed) print_event(json, "external_ip_changed", current, "public address is now " + where);
    if (port_changed) print_event(json, "external_port_changed", current, "public port is now " + where);
    if (!lost && !address_changed && !port_changed) {
      print_event(json, "renewed", current, where + " for " + std::to_string(current.lifetime) + " s");
    }
    next = std::chrono::steady_clock::now() + renewal_delay(current.lifetime);
  }

  // Stopped by a signal: remove the mapping. A fresh cancellation state lets the delete run; a later
  // signal (main re-arms its handler) cancels it.
  state->stopping = true;
  std::error_code ignored;
  state->announcements.close(ignored);
  co_await asio::this_coro::reset_cancellation_state();
  m.set_deadline(inv.options.timeout);
  auto removed = co_await m.async_unmap();
  if (!removed) {
    print_error(json, "removing the mapping on exit", removed.error());
    // The gateway refused to delete a mapping this process made and renewed: miniupnpd 2.3.1 refuses
    // (PCP NOT_AUTHORIZED) every delete of an IPv6 pinhole once it has been renewed. It still accepts a
    // renewal, so ask for the shortest lifetime: the mapping then lapses by itself soon after, instead
    // of lingering for a whole lease. Still an error: the mapping is there until then.
    if (exit_status_for(removed.error()) == exit_refused) co_await cut_lifetime(m, json, current.external_port);
    co_return exit_status_for(removed.error());
  }
  print_event(json, "removed", current, "mapping removed from the gateway");
  co_return exit_ok;
}

}  // namespace natpunch::cli

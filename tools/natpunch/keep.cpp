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

void print_event(bool json, std::string_view event, const kept_mapping& k, const natpmp::client& client,
                 std::string_view text) {
  if (json) {
    std::cout << mapping_json(client, k.external_address, k.mapping, event).str() << std::endl;
  } else {
    std::cout << event << ": " << text << std::endl;
  }
}

// Listens for the gateway's unsolicited announcements and wakes the loop when one shows a reboot or a
// new address. Stops when the socket is closed. Failing to listen is not fatal: renewals still work.
asio::awaitable<void> listen_announcements(std::shared_ptr<keeper_state> state, natpmp::client& client,
                                           asio::ip::address_v4 known_address) {
  std::error_code ec;
  auto& socket = state->announcements;
  socket.open(asio::ip::udp::v4(), ec);
  if (!ec) socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) socket.bind({asio::ip::address_v4::any(), natpmp::announce_port}, ec);
  if (ec) {
    log::info("not listening for gateway announcements on port ", natpmp::announce_port, ": ", ec.message());
    co_return;
  }
  // 224.0.0.1 (all hosts) is joined by every interface already; joining again may fail harmlessly.
  socket.set_option(asio::ip::multicast::join_group(asio::ip::make_address_v4("224.0.0.1")), ec);
  std::array<std::uint8_t, natpmp::max_message_size + 1> buffer{};
  for (;;) {
    asio::ip::udp::endpoint from;
    auto [rec, n] = co_await socket.async_receive_from(asio::buffer(buffer), from, use_tuple);
    if (rec || state->stopping) co_return;
    const auto now = std::chrono::steady_clock::now();
    auto info = client.observe_announcement(core::byte_span(buffer.data(), n), from);
    if (info) {
      log::info("gateway announced external address ", info->address.to_string(), " (epoch ", info->epoch, " s)");
      if (info->gateway_lost_state || info->address != known_address) {
        known_address = info->address;
        wake_loop(*state, now);
      }
      continue;
    }
    if (from.address() != asio::ip::address(client.options().gateway)) {
      log::debug("ignored a datagram on port ", natpmp::announce_port, " from ", from.address().to_string());
      continue;
    }
    // Something else from the gateway itself: miniupnpd, for one, announces a restart only with a PCP
    // ANNOUNCE. Revalidating is harmless and its answer's epoch tells by the §3.6 rule whether the
    // gateway really lost its state, so a forged hint costs at most one rate-limited renewal.
    log::info("unsolicited ", n, "-byte datagram from the gateway (", core::describe(info.error()),
              "): revalidating the mapping");
    wake_loop(*state, now + announce_spread());
  }
}

std::chrono::seconds renewal_delay(std::uint32_t lifetime) {
  return std::max<std::chrono::seconds>(std::chrono::seconds(lifetime / 2), 1s);
}

}  // namespace

asio::awaitable<int> keep_mapping(natpmp::client& client, const invocation& inv, kept_mapping current) {
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
  asio::co_spawn(executor, listen_announcements(state, client, current.external_address), asio::detached);

  const auto stop_requested = []() -> asio::awaitable<bool> {
    co_return (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
  };
  auto next = std::chrono::steady_clock::now() + renewal_delay(current.mapping.lifetime);
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
    client.set_deadline(inv.options.timeout);
    auto renewed = co_await client.async_map(ports.protocol, ports.internal_port, current.mapping.external_port,
                                             inv.cmd.lifetime);
    if (co_await stop_requested()) break;
    if (!renewed) {
      print_error(json, "renewing " + spec + " (retrying in " + std::to_string(retry.count()) + " s)", renewed.error());
      next = std::chrono::steady_clock::now() + retry;
      retry = std::min<std::chrono::seconds>(retry * 2, max_retry);
      continue;
    }
    retry = first_retry;
    const bool port_changed = renewed->external_port != current.mapping.external_port;
    current.mapping = *renewed;
    auto ext = co_await client.async_external_address();
    if (co_await stop_requested()) break;
    if (ext && ext->gateway_lost_state) {
      // The gateway lost its state between the renewal and this answer: the mapping just made is gone
      // too. Map again at once; take_lost_state() still holds the news for that renewal's report.
      next = std::chrono::steady_clock::now();
      continue;
    }
    // Any observation since the last report counts: an answer, a refusal, or an announcement.
    const bool lost = client.take_lost_state();
    const bool address_changed = ext && ext->address != current.external_address;
    if (ext) current.external_address = ext->address;
    const std::string where = current.external_address.to_string() + ":" + std::to_string(current.mapping.external_port);
    if (lost) {
      print_event(json, "gateway_lost_state", current, client,
                  "the gateway lost its mappings (reboot: epoch restarted); mapping re-created as " + where);
    }
    if (address_changed) print_event(json, "external_ip_changed", current, client, "public address is now " + where);
    if (port_changed) print_event(json, "external_port_changed", current, client, "public port is now " + where);
    if (!lost && !address_changed && !port_changed) {
      print_event(json, "renewed", current, client, where + " for " + std::to_string(current.mapping.lifetime) + " s");
    }
    next = std::chrono::steady_clock::now() + renewal_delay(current.mapping.lifetime);
  }

  // Stopped by a signal: remove the mapping. A fresh cancellation state lets the delete run; another
  // signal (main re-arms its handler) cancels it.
  state->stopping = true;
  std::error_code ignored;
  state->announcements.close(ignored);
  co_await asio::this_coro::reset_cancellation_state();
  client.set_deadline(inv.options.timeout);
  auto removed = co_await client.async_delete(ports.protocol, ports.internal_port);
  if (!removed) {
    print_error(json, "removing the mapping on exit", removed.error());
    co_return exit_status_for(removed.error());
  }
  print_event(json, "removed", current, client, "mapping removed from the gateway");
  co_return exit_ok;
}

}  // namespace natpunch::cli

// The keeper: holds one mapping until stopped (keeper.hpp). The timing is renewal_schedule's, a pure
// function of what happened, unit-tested with a manual clock; this file adds the timer, the
// announcement listener and the events.
#include "natpunch/portmap/keeper.hpp"

#include <algorithm>
#include <array>
#include <memory>
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
#include "natpunch/portmap/error.hpp"

namespace natpunch::portmap {
namespace {

namespace log = core::log;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// Asked for when a delete is refused: a gateway grants at least its own minimum (miniupnpd PCP: 120 s).
constexpr std::uint32_t shortest_lifetime = 1;

// Shared between the renewal loop and the announcement listener.
struct keeper_state {
  explicit keeper_state(asio::any_io_executor ex) : wake(ex), announcements(ex) {}
  asio::steady_timer wake;               // the loop sleeps on it; the listener cancels it to wake the loop
  asio::ip::udp::socket announcements;   // 224.0.0.1:5350
  renewal_schedule schedule;
  bool stopping = false;
};

// RFC 6887 §14.1.3: after an ANNOUNCE every client waits a random 0-5 s before renewing, so that a
// rebooted gateway is not hit by all its clients at once.
std::chrono::milliseconds announce_spread() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 5000)(rng));
}

void wake_loop(keeper_state& state, std::chrono::steady_clock::time_point by) {
  state.schedule.hint(by);
  state.wake.cancel();
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

void emit(const event_handler& on_event, event_kind kind, const mapping& current, std::error_code ec = {},
          std::string gateway_text = {}, std::chrono::seconds retry_in = {}) {
  if (!on_event) return;
  on_event(event{kind, current, ec, std::move(gateway_text), retry_in});
}

}  // namespace

std::string_view to_string(event_kind k) noexcept {
  switch (k) {
    case event_kind::mapped: return "mapped";
    case event_kind::renewed: return "renewed";
    case event_kind::gateway_lost_state: return "gateway_lost_state";
    case event_kind::external_ip_changed: return "external_ip_changed";
    case event_kind::external_port_changed: return "external_port_changed";
    case event_kind::renew_failed: return "renew_failed";
    case event_kind::expiring: return "expiring";
    case event_kind::removed: return "removed";
    case event_kind::remove_failed: return "remove_failed";
  }
  return "?";
}

void renewal_schedule::granted(time_point now, std::uint32_t lifetime) {
  retry_ = first_retry;
  // Lifetime 0 is a permanent UPnP mapping (a gateway answering 725 OnlyPermanentLeasesSupported): it
  // needs no renewal, but adding it again every ten minutes puts it back after a reboot lost it.
  const auto delay = lifetime == 0 ? std::chrono::seconds(permanent_refresh)
                                   : std::max<std::chrono::seconds>(std::chrono::seconds(lifetime / 2), 1s);
  next_ = now + delay;
}

std::chrono::seconds renewal_schedule::failed(time_point now) {
  const auto wait = retry_;
  next_ = now + wait;
  retry_ = std::min<std::chrono::seconds>(retry_ * 2, max_retry);
  return wait;
}

void renewal_schedule::hint(time_point by) { hint_ = hint_ ? std::min(*hint_, by) : by; }

renewal_schedule::time_point renewal_schedule::next() const {
  if (!hint_) return next_;
  // A hint never brings a renewal closer than min_spacing after the last one started (a flood of
  // announcements, real or forged, costs at most one request a second).
  const auto earliest = last_start_ ? *last_start_ + min_spacing : *hint_;
  return std::min(next_, std::max(*hint_, earliest));
}

void renewal_schedule::started(time_point now) {
  last_start_ = now;
  hint_.reset();  // this renewal answers every hint so far
}

asio::awaitable<std::error_code> async_keep(mapper& m, mapping current, keep_options options, event_handler on_event) {
  co_await asio::this_coro::throw_if_cancelled(false);  // a stop is a value to act on, never an exception
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
  auto& schedule = state->schedule;
  schedule.granted(std::chrono::steady_clock::now(), current.lifetime);
  while (!co_await stop_requested()) {
    if (std::chrono::steady_clock::now() < schedule.next()) {
      state->wake.expires_at(schedule.next());
      co_await state->wake.async_wait(use_tuple);
      continue;
    }
    schedule.started(std::chrono::steady_clock::now());
    m.set_deadline(options.request_deadline);
    auto renewed = co_await m.async_map(current.external_port, options.lifetime);
    if (co_await stop_requested()) break;
    if (!renewed) {
      const auto wait = schedule.failed(std::chrono::steady_clock::now());
      emit(on_event, event_kind::renew_failed, current, renewed.error(), m.gateway_text(), wait);
      continue;
    }
    schedule.granted(std::chrono::steady_clock::now(), renewed->lifetime);
    // Any observation since the last report counts: an answer, a refusal, or an announcement.
    const bool lost = m.take_lost_state();
    const bool address_changed = renewed->external_ip != current.external_ip;
    const bool port_changed = renewed->external_port != current.external_port;
    current = *renewed;
    if (lost) emit(on_event, event_kind::gateway_lost_state, current);
    if (address_changed) emit(on_event, event_kind::external_ip_changed, current);
    if (port_changed) emit(on_event, event_kind::external_port_changed, current);
    if (!lost && !address_changed && !port_changed) emit(on_event, event_kind::renewed, current);
  }

  // Stopped: remove the mapping. A fresh cancellation state lets the delete run; a later cancellation
  // (a second signal) cancels it.
  state->stopping = true;
  std::error_code ignored;
  state->announcements.close(ignored);
  co_await asio::this_coro::reset_cancellation_state();
  m.set_deadline(options.request_deadline);
  auto removed = co_await m.async_unmap();
  // UPnP's NoSuchEntryInArray (714): the gateway no longer holds it, which is what removing wanted.
  if (!removed && mapping_gone(removed.error())) removed = core::ok;
  if (!removed) {
    emit(on_event, event_kind::remove_failed, current, removed.error(), m.gateway_text());
    // The gateway refused to delete a mapping this process made and renewed: miniupnpd 2.3.1 refuses
    // (PCP NOT_AUTHORIZED) every delete of an IPv6 pinhole once it has been renewed. It still accepts a
    // renewal, so ask for the shortest lifetime: the mapping then lapses by itself soon after, instead
    // of lingering for a whole lease. Still an error: the mapping is there until then. Not over UPnP,
    // whose "add again" may turn into a permanent lease (725 fallback).
    if (gateway_refused(removed.error()) && m.proto() != protocol::upnp) {
      const auto cut = co_await m.async_map(current.external_port, shortest_lifetime);
      if (cut) emit(on_event, event_kind::expiring, *cut);
    }
    co_return removed.error();
  }
  emit(on_event, event_kind::removed, current);
  co_return std::error_code{};
}

}  // namespace natpunch::portmap

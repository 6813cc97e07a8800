#include "natpunch/core/udp_exchange.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include <asio/experimental/as_tuple.hpp>
#include <asio/buffer.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"

namespace natpunch::core {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

std::chrono::milliseconds jittered(std::chrono::milliseconds base, double jitter) {
  if (jitter <= 0.0) return base;
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_real_distribution<double> dist(1.0 - jitter, 1.0 + jitter);
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(base.count()) * dist(rng)));
}

// Datagrams already queued before a request is sent cannot answer it: a late duplicate of an earlier
// answer would otherwise be taken for this one (NAT-PMP has no transaction ID). Bounded: a flood that
// keeps the queue full is left to the answer check.
void drain_stale(asio::ip::udp::socket& socket, bytes& buffer) {
  constexpr int max_drained = 64;
  std::error_code ec;
  for (int i = 0; i < max_drained && socket.available(ec) > 0 && !ec; ++i) {
    asio::ip::udp::endpoint from;
    const std::size_t n = socket.receive_from(asio::buffer(buffer), from, 0, ec);
    if (ec) break;
    log::debug("dropped ", n, " stale bytes queued before the request");
  }
}

// A socket error ends the exchange and closes the socket, so that the caller reconnects (see header).
std::error_code fail_socket(asio::ip::udp::socket& socket, const std::error_code& ec) {
  std::error_code ignored;
  socket.close(ignored);
  return classify_socket_error(ec);
}

}  // namespace

std::chrono::milliseconds retransmission_schedule::interval(unsigned n) const noexcept {
  // Computed in double and clamped, so a large n or factor cannot overflow.
  const double ms = static_cast<double>(initial.count()) * std::pow(factor, static_cast<double>(n));
  const double cap = static_cast<double>(max_interval.count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, cap)));
}

asio::awaitable<result<datagram_received>> async_receive_before(asio::ip::udp::socket& socket,
                                                                std::span<std::uint8_t> buffer,
                                                                clock::time_point deadline) {
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer timer(socket.get_executor(), deadline);
  datagram_received got;
  // The group reports both outcomes: a datagram received in the same instant the timer fired is
  // still returned, not dropped with the losing operation.
  auto [order, recv_ec, size, timer_ec] =
      co_await asio::experimental::make_parallel_group(
          socket.async_receive_from(asio::buffer(buffer.data(), buffer.size()), got.from, asio::experimental::deferred),
          timer.async_wait(asio::experimental::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  (void)order;
  (void)timer_ec;
  const auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) co_return transport_errc::cancelled;
  if (recv_ec == asio::error::operation_aborted) co_return transport_errc::timed_out;
  if (recv_ec) co_return classify_socket_error(recv_ec);
  got.size = size;
  co_return got;
}

std::error_code classify_socket_error(const std::error_code& ec) noexcept {
  if (ec == asio::error::connection_refused) return transport_errc::connection_refused;
  if (ec == asio::error::network_unreachable || ec == asio::error::host_unreachable) {
    return transport_errc::network_unreachable;
  }
  if (ec == asio::error::operation_aborted) return transport_errc::cancelled;
  return ec;
}

std::error_code open_connected(asio::ip::udp::socket& socket, const asio::ip::udp::endpoint& peer) {
  std::error_code ec;
  socket.open(peer.address().is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
  if (!ec) socket.connect(peer, ec);
  if (ec) {
    std::error_code ignored;
    socket.close(ignored);
    return classify_socket_error(ec);
  }
  return {};
}

asio::awaitable<result<exchange_reply>> async_udp_exchange(asio::ip::udp::socket& socket,
                                                           asio::ip::udp::endpoint peer, byte_span request,
                                                           answer_check check, exchange_options options) {
  // Cancellation is reported as a value, never thrown, so callers handle one error path.
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto start = clock::now();
  const auto deadline = start + options.deadline;
  bytes buffer(options.max_datagram + 1);  // one spare byte detects an oversize datagram
  exchange_reply reply;
  std::error_code last_ignored;

  const auto cancelled = [&]() -> asio::awaitable<bool> {
    const auto state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() != asio::cancellation_type::none;
  };

  drain_stale(socket, buffer);
  for (unsigned n = 0; n < options.schedule.max_sends && clock::now() < deadline; ++n) {
    auto [send_ec, sent] = co_await socket.async_send_to(asio::buffer(request.data(), request.size()), peer, use_tuple);
    if (co_await cancelled()) co_return transport_errc::cancelled;
    if (send_ec) co_return fail_socket(socket, send_ec);
    ++reply.sends;
    log::debug("sent ", sent, " bytes to ", peer.address().to_string(), ":", peer.port(), " (try ", n + 1, "): ",
               log::hex(request));

    const auto try_end = std::min(deadline, clock::now() + jittered(options.schedule.interval(n), options.schedule.jitter));
    while (clock::now() < try_end) {
      auto got = co_await async_receive_before(socket, buffer, try_end);
      if (got.error() == transport_errc::timed_out) break;  // this try's time is up: send again
      if (got.error() == transport_errc::cancelled) co_return transport_errc::cancelled;
      if (!got) co_return fail_socket(socket, got.error());
      const auto [size, from] = *got;
      if (from != peer) {
        ++reply.foreign;
        log::debug("dropped ", size, " bytes from ", from.address().to_string(), ":", from.port(),
                   " (not the peer asked)");
        continue;
      }
      const byte_span datagram(buffer.data(), size);
      log::debug("received ", size, " bytes: ", log::hex(datagram.first(std::min<std::size_t>(size, 64))));
      if (size > options.max_datagram) {
        ++reply.ignored;
        last_ignored = transport_errc::message_too_large;
        continue;
      }
      if (const std::error_code why = check(datagram)) {
        ++reply.ignored;
        last_ignored = why;
        log::debug("ignored answer: ", describe(why));
        continue;
      }
      reply.payload.assign(datagram.begin(), datagram.end());
      reply.elapsed = clock::now() - start;
      co_return reply;
    }
  }
  if (last_ignored) co_return last_ignored;
  co_return transport_errc::timed_out;
}

}  // namespace natpunch::core

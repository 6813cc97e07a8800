#include "natpunch/core/tcp.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/buffer.hpp>
#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/udp_exchange.hpp"

namespace natpunch::core {
namespace {

using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// Races `op` against a timer set to `deadline`. Returns the operation's outcome, or timed_out /
// cancelled; a timed-out operation is cancelled by the race before this returns.
template <typename Op>
auto race_deadline(asio::any_io_executor executor, deadline_clock::time_point deadline, Op op)
    -> asio::awaitable<std::variant<typename decltype(op())::value_type, std::error_code>> {
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer timer(executor, deadline);
  auto which = co_await (op() || timer.async_wait(use_tuple));
  const auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) co_return make_error_code(transport_errc::cancelled);
  if (which.index() == 1) co_return make_error_code(transport_errc::timed_out);
  co_return std::move(std::get<0>(which));
}

}  // namespace

asio::awaitable<result<asio::ip::tcp::socket>> async_tcp_connect(asio::ip::tcp::endpoint peer,
                                                                 deadline_clock::time_point deadline) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::socket socket(executor);
  auto outcome = co_await race_deadline(executor, deadline, [&] { return socket.async_connect(peer, use_tuple); });
  if (auto* ec = std::get_if<std::error_code>(&outcome)) co_return *ec;
  auto [ec] = std::get<0>(outcome);
  if (ec) co_return classify_socket_error(ec);
  co_return std::move(socket);
}

asio::awaitable<result<void>> async_write_all(asio::ip::tcp::socket& socket, byte_span data,
                                              deadline_clock::time_point deadline) {
  auto outcome = co_await race_deadline(socket.get_executor(), deadline, [&] {
    return asio::async_write(socket, asio::buffer(data.data(), data.size()), use_tuple);
  });
  if (auto* ec = std::get_if<std::error_code>(&outcome)) co_return *ec;
  auto [ec, n] = std::get<0>(outcome);
  if (ec) co_return classify_socket_error(ec);
  (void)n;
  co_return ok;
}

asio::awaitable<result<std::size_t>> async_read_some(asio::ip::tcp::socket& socket, std::span<std::uint8_t> into,
                                                     deadline_clock::time_point deadline) {
  auto outcome = co_await race_deadline(socket.get_executor(), deadline, [&] {
    return socket.async_read_some(asio::buffer(into.data(), into.size()), use_tuple);
  });
  if (auto* ec = std::get_if<std::error_code>(&outcome)) co_return *ec;
  auto [ec, n] = std::get<0>(outcome);
  if (ec == asio::error::eof) co_return std::size_t{0};
  if (ec) co_return classify_socket_error(ec);
  co_return n;
}

}  // namespace natpunch::core

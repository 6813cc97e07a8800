#include "natpunch/soap/http_client.hpp"

#include <array>

#include <asio/this_coro.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/core/tcp.hpp"

namespace natpunch::soap {
namespace {

namespace log = core::log;

// A reused connection that the gateway already closed fails in one of these ways before any byte of
// the answer arrives; only then is sending again on a new connection safe.
bool stale_connection(const std::error_code& ec) {
  return ec == http_errc::closed_without_response || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::eof;
}

}  // namespace

http_client::http_client(asio::any_io_executor executor, http_client_options options)
    : executor_(std::move(executor)), options_(options) {}

void http_client::close() noexcept {
  if (socket_) {
    std::error_code ignored;
    socket_->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_->close(ignored);
  }
  socket_.reset();
}

asio::awaitable<core::result<http_response>> http_client::async_request(asio::ip::tcp::endpoint to,
                                                                       http_request request) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto deadline = std::chrono::steady_clock::now() + options_.deadline;
  auto wire = format_request(request);
  if (!wire) co_return wire.error();
  const core::byte_span bytes(reinterpret_cast<const std::uint8_t*>(wire->data()), wire->size());
  if (socket_ && connected_to_ != to) close();
  for (int attempt_no = 0; attempt_no < 2; ++attempt_no) {
    bool fresh = false;
    bool got_bytes = false;
    auto response = co_await attempt(to, bytes, deadline, fresh, got_bytes);
    if (response) {
      if (!response->keep_alive) close();
      co_return response;
    }
    close();
    if (fresh || got_bytes || !stale_connection(response.error())) co_return response.error();
    log::debug("the kept HTTP connection to ", to.address().to_string(), ":", to.port(),
               " was closed by the gateway; sending again on a new one");
  }
  co_return http_errc::closed_without_response;  // not reached: the second attempt is always fresh
}

asio::awaitable<core::result<http_response>> http_client::attempt(const asio::ip::tcp::endpoint& to,
                                                                  core::byte_span wire,
                                                                  std::chrono::steady_clock::time_point deadline,
                                                                  bool& fresh, bool& got_bytes) {
  if (!socket_) {
    auto connected = co_await core::async_tcp_connect(to, deadline);
    if (!connected) co_return connected.error();
    socket_.emplace(std::move(*connected));
    connected_to_ = to;
    fresh = true;
    ++connections_opened_;
    log::debug("HTTP: connected to ", to.address().to_string(), ":", to.port());
  }
  if (auto sent = co_await core::async_write_all(*socket_, wire, deadline); !sent) co_return sent.error();
  response_parser parser(options_.limits);
  std::array<std::uint8_t, 16 * 1024> buffer{};
  for (;;) {
    auto n = co_await core::async_read_some(*socket_, buffer, deadline);
    if (!n) co_return n.error();
    if (*n == 0) {
      if (parser.finish_eof() == response_parser::state::done) {
        http_response r = std::move(parser).take_response();
        r.keep_alive = false;
        co_return r;
      }
      co_return parser.error();
    }
    got_bytes = true;
    std::size_t consumed = 0;
    const auto state = parser.feed(core::byte_span(buffer.data(), *n), consumed);
    if (state == response_parser::state::failed) co_return parser.error();
    if (state == response_parser::state::done) {
      http_response r = std::move(parser).take_response();
      // Bytes after the response were never asked for: the connection is out of step, do not reuse it.
      if (consumed != *n) r.keep_alive = false;
      co_return r;
    }
  }
}

}  // namespace natpunch::soap

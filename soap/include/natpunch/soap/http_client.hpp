// The HTTP/1.1 client: moves http.hpp's bytes over core/tcp.hpp. One deadline per exchange (connect,
// write and every read together), and one connection kept open for the next request when the gateway
// allows it: listing and keeping a mapping make many calls, and a new TCP handshake each time is most
// of a call's cost.
#pragma once

#include <chrono>
#include <optional>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "natpunch/core/result.hpp"
#include "natpunch/soap/http.hpp"

namespace natpunch::soap {

struct http_client_options {
  // The whole exchange: connecting, sending, and reading the complete response.
  std::chrono::milliseconds deadline{std::chrono::seconds(5)};
  http_limits limits{};
};

class http_client {
 public:
  explicit http_client(asio::any_io_executor executor, http_client_options options = {});

  // Sends `request` to `to` and reads the whole response. Reuses the open connection when it goes to
  // the same endpoint and the last response allowed it; if that connection turns out closed by the
  // gateway before a single byte of the answer came (an idle timeout), the request is sent once more
  // on a new connection, within the same deadline. Errors: core::transport_errc (timed_out,
  // connection_refused, network_unreachable, cancelled), http_errc for a bad response, or the OS error.
  // Any error closes the connection.
  asio::awaitable<core::result<http_response>> async_request(asio::ip::tcp::endpoint to, http_request request);

  void close() noexcept;
  void set_deadline(std::chrono::milliseconds deadline) noexcept { options_.deadline = deadline; }
  [[nodiscard]] unsigned connections_opened() const noexcept { return connections_opened_; }

 private:
  // One attempt on the current connection (opened if needed). `fresh` is set when it was opened now.
  asio::awaitable<core::result<http_response>> attempt(const asio::ip::tcp::endpoint& to, core::byte_span wire,
                                                       std::chrono::steady_clock::time_point deadline, bool& fresh,
                                                       bool& got_bytes);

  asio::any_io_executor executor_;
  http_client_options options_;
  std::optional<asio::ip::tcp::socket> socket_;
  asio::ip::tcp::endpoint connected_to_;
  unsigned connections_opened_ = 0;
};

}  // namespace natpunch::soap

// Test support: run a coroutine to completion, and a scripted UDP peer on loopback that plays a
// gateway (counts what it received, answers what the test says).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <asio/experimental/as_tuple.hpp>
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/use_awaitable.hpp>

namespace natpunch::test {

using bytes = std::vector<std::uint8_t>;

// Runs `aw` on `io` until it completes (bounded by `limit`, so a hung test fails instead of hanging).
template <typename T>
T run(asio::io_context& io, asio::awaitable<T> aw, std::chrono::seconds limit = std::chrono::seconds(20)) {
  std::optional<T> out;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) out.emplace(std::move(value));
    io.stop();  // the scripted peer keeps serving: stop once the coroutine under test is done
  });
  io.restart();
  io.run_for(limit);
  if (failure) std::rethrow_exception(failure);
  if (!out) throw std::runtime_error("test coroutine did not finish in time");
  return std::move(*out);
}

// A UDP socket on 127.0.0.1 with an ephemeral port. For each datagram it receives it calls
// `answer(request, index)` and sends back every datagram returned (none = stay silent).
class udp_peer {
 public:
  using script = std::function<std::vector<bytes>(const bytes& request, unsigned index)>;

  udp_peer(asio::io_context& io, script answer)
      : socket_(io, asio::ip::udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)), answer_(std::move(answer)) {
    asio::co_spawn(io, serve(), asio::detached);
  }

  [[nodiscard]] asio::ip::udp::endpoint endpoint() const { return socket_.local_endpoint(); }
  [[nodiscard]] unsigned received() const noexcept { return received_; }
  [[nodiscard]] const std::vector<bytes>& requests() const noexcept { return requests_; }
  void close() { socket_.close(); }

 private:
  asio::awaitable<void> serve() {
    bytes buffer(2048);
    for (;;) {
      asio::ip::udp::endpoint from;
      auto [ec, n] = co_await socket_.async_receive_from(asio::buffer(buffer), from, asio::experimental::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      bytes request(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      requests_.push_back(request);
      for (const bytes& reply : answer_(request, received_++)) {
        co_await socket_.async_send_to(asio::buffer(reply), from, asio::experimental::as_tuple(asio::use_awaitable));
      }
    }
  }

  asio::ip::udp::socket socket_;
  script answer_;
  unsigned received_ = 0;
  std::vector<bytes> requests_;
};

}  // namespace natpunch::test
